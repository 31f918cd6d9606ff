// rtpengine's media player through the relay: a file played to one party of a session reaches
// that party's RTP address (and only it), which is what an announcement to a customer needs.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { RtpEngineRelay } from './relay.js';
import { MediaError } from './relay.js';
import { rtpengineRelay } from '../test/support/services.js';

/** One second of a 440 Hz tone, 8 kHz 16-bit mono WAV: 50 packets of 20 ms. */
function toneWav(): string {
  const rate = 8000;
  const pcm = Buffer.alloc(rate * 2);
  for (let i = 0; i < rate; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), i * 2);
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

interface Peer {
  socket: dgram.Socket;
  port: number;
  packets: number;
}

async function peer(): Promise<Peer> {
  const socket = dgram.createSocket('udp4');
  const p: Peer = { socket, port: 0, packets: 0 };
  socket.on('message', (m) => {
    if (m.length >= 12 && (m[0]! & 0xc0) === 0x80) p.packets++;
  });
  p.port = await new Promise<number>((r) => socket.bind(0, '127.0.0.1', () => r(socket.address().port)));
  return p;
}

const sdp = (port: number) => `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;

describe('rtpengine media player (announcements)', function () {
  this.timeout(30_000);
  let relay: RtpEngineRelay;
  before(async () => {
    relay = await rtpengineRelay();
  });

  it('plays a file to the party of the tag given, not to the other one, and says how long it lasts', async () => {
    const [customer, agent] = [await peer(), await peer()];
    const id = `player-${randomUUID()}`;
    try {
      await relay.offer({ sessionId: id, fromTag: 'customer', sdp: sdp(customer.port), profile: 'rtp' });
      await relay.answer({ sessionId: id, fromTag: 'customer', toTag: 'agent', sdp: sdp(agent.port), profile: 'rtp' });
      expect(await relay.play(id, 'customer', toneWav())).to.equal(1000);
      for (let i = 0; i < 200 && customer.packets < 45; i++) await new Promise((r) => setTimeout(r, 50));
      expect(customer.packets, 'packets of the announcement at the customer').to.be.at.least(45);
      expect(agent.packets, 'packets at the other party').to.equal(0);
      await relay.stopPlaying(id, 'customer').catch((err: unknown) => {
        // Finished already: rtpengine may say there is nothing to stop.
        if (!(err instanceof MediaError)) throw err;
      });
    } finally {
      await relay.delete(id);
      customer.socket.close();
      agent.socket.close();
    }
  });

  it('refuses a file that is not there, naming the command', async () => {
    const [customer, agent] = [await peer(), await peer()];
    const id = `player-${randomUUID()}`;
    try {
      await relay.offer({ sessionId: id, fromTag: 'customer', sdp: sdp(customer.port), profile: 'rtp' });
      await relay.answer({ sessionId: id, fromTag: 'customer', toTag: 'agent', sdp: sdp(agent.port), profile: 'rtp' });
      const err = await relay.play(id, 'customer', '/nonexistent/prompt.wav').then(() => null, (e: unknown) => e);
      expect(err).to.be.instanceOf(MediaError);
      expect((err as Error).message).to.match(/^rtpengine playMedia: /);
    } finally {
      await relay.delete(id);
      customer.socket.close();
      agent.socket.close();
    }
  });
});
