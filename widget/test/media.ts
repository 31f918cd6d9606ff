// Proof that a call's audio is heard, shared by the widget's tests and the desktop's end-to-end
// tests (which import this file by its path): both play the other side into audio.sb-remote-audio.
import type { Frame, Page } from 'playwright-core';

/**
 * How loud the remote audio (audio.sb-remote-audio) of a page or frame sounds, 0–128: Chromium's
 * fake microphone beeps, so it is audible there only when media flows from the other side.
 * Listens until the peak is above `enough`, for up to 20 s: "Connected" comes with the 200, and on
 * a loaded machine DTLS and the first beep can take seconds more.
 */
export async function remoteAudioPeak(where: Page | Frame, enough: number): Promise<number> {
  return where.evaluate(async (enough) => {
    const el = document.querySelector<HTMLMediaElement>('audio.sb-remote-audio')!;
    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    ctx.createMediaStreamSource(el.srcObject as MediaStream).connect(analyser);
    const buf = new Uint8Array(analyser.fftSize);
    let max = 0;
    for (let n = 0; n < 200 && max <= enough; n++) {
      await new Promise((r) => setTimeout(r, 100));
      analyser.getByteTimeDomainData(buf);
      for (const v of buf) max = Math.max(max, Math.abs(v - 128));
    }
    await ctx.close();
    return max;
  }, enough);
}
