// What a page's WebRTC connections received, read from their own statistics: proof that media
// arrived (and, for video, was decoded) rather than that a call said "connected".
import type { Frame, Page } from 'playwright-core';

/** An init script (addInitScript): keeps every peer connection the page and its frames make. */
export function watchPeerConnections(): void {
  const Native = window.RTCPeerConnection;
  const seen: RTCPeerConnection[] = [];
  (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs = seen;
  window.RTCPeerConnection = class extends Native {
    constructor(...args: ConstructorParameters<typeof RTCPeerConnection>) {
      super(...args);
      seen.push(this);
    }
  } as typeof RTCPeerConnection;
}

/** RTP bytes received and frames decoded so far, of one kind, by the connections of a page or frame. */
export async function received(where: Page | Frame, kind: 'audio' | 'video'): Promise<{ bytes: number; frames: number }> {
  return where.evaluate(async (k) => {
    let bytes = 0;
    let frames = 0;
    for (const pc of (window as unknown as { __pcs?: RTCPeerConnection[] }).__pcs ?? []) {
      (await pc.getStats()).forEach((r: { type: string; kind?: string; bytesReceived?: number; framesDecoded?: number }) => {
        if (r.type !== 'inbound-rtp' || r.kind !== k) return;
        bytes += r.bytesReceived ?? 0;
        frames += r.framesDecoded ?? 0;
      });
    }
    return { bytes, frames };
  }, kind);
}

export { remoteAudioPeak } from '../../widget/test/media.ts';

/** Reads until `ok` holds, failing with the last value after `ms`. */
export async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, what: string, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  let v = await read();
  while (!ok(v)) {
    if (Date.now() > until) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
    v = await read();
  }
  return v;
}
