// Phones' audio as the media tests see it: a UDP socket that counts the RTP packets reaching it,
// PCMU sent at the pace a phone sends it, the media address each INVITE a sipp phone received
// offered, and what rtpengine counted on each leg — so a test says "audio both ways" from packets
// that really went through the relay, not from signalling.
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RtpEngineRelay } from '../../media/relay.js';

export interface Address {
  host: string;
  port: number;
}

export interface RtpPeer {
  socket: dgram.Socket;
  port: number;
  /** RTP packets received. */
  received: number;
  /** Those carrying another peer's voice (talk()'s all-0xff PCMU), not a prompt's audio. */
  voice: number;
}

export async function rtpPeer(): Promise<RtpPeer> {
  const socket = dgram.createSocket('udp4');
  const peer: RtpPeer = { socket, port: 0, received: 0, voice: 0 };
  socket.on('message', (m) => {
    if (m.length < 12 || (m[0]! & 0xc0) !== 0x80) return;
    peer.received++;
    if (m.length > 100 && m[12] === 0xff && m[100] === 0xff) peer.voice++;
  });
  peer.port = await new Promise<number>((r) => socket.bind(0, '127.0.0.1', () => r(socket.address().port)));
  return peer;
}

/** 20 ms PCMU packets (silence, 0xff), one every 20 ms, while `until` says to go on (30 s at most). */
export async function talk(from: { socket: dgram.Socket }, to: Address, until: () => boolean): Promise<number> {
  const ssrc = Math.floor(Math.random() * 0xffffffff);
  let n = 0;
  while (!until() && n < 1500) {
    const p = Buffer.alloc(172, 0xff);
    p[0] = 0x80;
    p[1] = 0;
    p.writeUInt16BE(n & 0xffff, 2);
    p.writeUInt32BE((n * 160) >>> 0, 4);
    p.writeUInt32BE(ssrc, 8);
    from.socket.send(p, to.port, to.host);
    n++;
    await new Promise((r) => setTimeout(r, 20));
  }
  return n;
}

/**
 * Two phones talk, each to the media address its own INVITE gave it (rtpengine's, for its leg),
 * until each has heard `n` packets more than before; returns what each heard meanwhile.
 */
export async function conversation(x: RtpPeer, xSendsTo: Address, y: RtpPeer, ySendsTo: Address, n = 50): Promise<{ x: number; y: number }> {
  const [x0, y0] = [x.received, y.received];
  const enough = () => x.received - x0 >= n && y.received - y0 >= n;
  await Promise.all([talk(x, xSendsTo, enough), talk(y, ySendsTo, enough)]);
  return { x: x.received - x0, y: y.received - y0 };
}

/** The INVITEs in a sipp phone's message trace, in order: each message, its Call-ID and the media address it offered. */
export function invitesIn(trace: string): Array<Address & { text: string; callId: string }> {
  return readFileSync(trace, 'utf8').split(/^-{20,}.*$/m).filter((m) => /^INVITE sip:/m.test(m)).map((text) => ({
    text,
    callId: /^Call-ID:\s*(\S+)/im.exec(text)?.[1] ?? '',
    host: /^c=IN IP4 (\S+)/m.exec(text)?.[1] ?? '',
    port: Number(/^m=audio (\d+)/m.exec(text)?.[1]),
  }));
}

/** The media address of the last INVITE in a sipp phone's trace (rtpengine's, for its leg). */
export function lastOfferedMedia(trace: string): Address {
  const last = invitesIn(trace).at(-1);
  if (!last?.host || !last.port) throw new Error(`no media address in the last INVITE of ${trace}`);
  return { host: last.host, port: last.port };
}

/** Packets rtpengine counted per leg (tag) of a session, summed over the leg's streams. */
export async function legPackets(relay: RtpEngineRelay, sessionId: string): Promise<number[]> {
  const q = (await relay.query(sessionId)) as { tags?: Record<string, { medias?: Array<{ streams?: Array<{ stats?: { packets?: number } }> }> }> };
  return Object.values(q.tags ?? {}).map((t) => (t.medias ?? []).flatMap((m) => m.streams ?? []).reduce((n, s) => n + (s.stats?.packets ?? 0), 0));
}

/** `seconds` of a 440 Hz tone as an 8 kHz 16-bit mono WAV (50 packets of 20 ms a second), for rtpengine's player. */
export function toneWav(seconds = 1): string {
  const rate = 8000;
  const pcm = Buffer.alloc(rate * 2 * seconds);
  for (let i = 0; i < rate * seconds; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  const file = join(mkdtempSync(join(tmpdir(), 'sb-prompt-')), 'tone.wav');
  writeFileSync(file, Buffer.concat([h, pcm]));
  return file;
}
