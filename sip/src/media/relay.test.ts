// What the relay makes of a media server that says no, says nothing or says nonsense: every
// command ends in a MediaError carrying the server's reason (what a callback attempt records), the
// failure is counted for /metrics, and no reply, however late or garbled, can take the process
// down (the ng client reports such replies as 'error' events, which throw with no listener).
import { expect } from 'chai';
import dgram from 'node:dgram';
import { randomUUID } from 'node:crypto';
import { MediaError, RtpEngineRelay } from './relay.js';
import { privateRtpengine } from '../test/support/private-rtpengine.js';

const SDP = ['v=0', 'o=pbx 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 9 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

/** bencode of a dictionary of strings (what an ng reply is). */
const bencode = (d: Record<string, string>): string =>
  `d${Object.keys(d).sort().map((k) => `${Buffer.byteLength(k)}:${k}${Buffer.byteLength(d[k]!)}:${d[k]}`).join('')}e`;

/**
 * A misbehaving ng peer: a UDP socket that answers each command as `reply` says (a body to send
 * after the command's cookie, raw bytes, or nothing).
 */
async function ngPeer(reply: (n: number) => { body?: string; raw?: Buffer; delayMs?: number } | undefined): Promise<{ port: number; received: number; close(): void }> {
  const socket = dgram.createSocket('udp4');
  const peer = { port: 0, received: 0, close: () => socket.close() };
  socket.on('message', (m, from) => {
    const cookie = m.subarray(0, m.indexOf(' ')).toString();
    const r = reply(++peer.received);
    if (!r) return;
    const out = r.raw ?? Buffer.from(`${cookie} ${r.body}`);
    setTimeout(() => socket.send(out, from.port, from.address), r.delayMs ?? 0);
  });
  peer.port = await new Promise<number>((res) => socket.bind(0, '127.0.0.1', () => res(socket.address().port)));
  return peer;
}

const offer = (relay: RtpEngineRelay) => relay.offer({ sessionId: randomUUID(), fromTag: 'f1', sdp: SDP, profile: 'rtp' });
const failure = (p: Promise<unknown>) => p.then(() => expect.fail('should have failed'), (err: unknown) => {
  expect(err).to.be.instanceOf(MediaError);
  return err as MediaError;
});

describe('media relay: a media server that refuses, times out or answers nonsense', function () {
  this.timeout(30_000);

  it("out of ports: the offer fails with rtpengine's reason, counted as refused; a delete frees the ports again", async () => {
    const rtp = await privateRtpengine({ ports: 4 });
    const relay = new RtpEngineRelay({ host: '127.0.0.1', port: rtp.ngPort, timeout: 1000 });
    try {
      const first = randomUUID();
      await relay.offer({ sessionId: first, fromTag: 'f1', sdp: SDP, profile: 'rtp' });
      const err = await failure(offer(relay));
      expect(err.reason).to.equal('Ran out of ports');
      expect(err.kind).to.equal('refused');
      expect(err.sdpRejected).to.equal(false);
      expect(relay.failures()).to.deep.equal([{ command: 'offer', kind: 'refused', count: 1 }]);
      await relay.delete(first);
      await offer(relay);
      // Deleting what is not there (again) is an answer, not a failure of the media server.
      await relay.delete(first);
      expect(relay.failures()).to.deep.equal([{ command: 'offer', kind: 'refused', count: 1 }]);
    } finally {
      relay.close();
      await rtp.stop();
    }
  });

  it('a lost datagram is sent again: the second try is answered and the command succeeds', async () => {
    const peer = await ngPeer((n) => (n === 1 ? undefined : { body: bencode({ result: 'ok', sdp: SDP }) }));
    const relay = new RtpEngineRelay({ host: '127.0.0.1', port: peer.port, timeout: 300, tries: 2 });
    try {
      expect(await offer(relay)).to.equal(SDP);
      expect(peer.received).to.equal(2);
      expect(relay.failures()).to.deep.equal([]);
    } finally {
      relay.close();
      peer.close();
    }
  });

  it('answers that are errors, load shedding, or lack what the command needs each fail the command with a reason', async () => {
    const replies = [
      bencode({ result: 'error', 'error-reason': 'Failed to parse SDP' }),
      bencode({ result: 'load limit', message: 'Parallel session limit reached' }),
      bencode({ result: 'ok' }),
      bencode({ sdp: SDP }),
    ];
    const peer = await ngPeer((n) => ({ body: replies[n - 1] ?? '' }));
    const relay = new RtpEngineRelay({ host: '127.0.0.1', port: peer.port, timeout: 500 });
    try {
      const got = [];
      for (let i = 0; i < replies.length; i++) {
        const err = await failure(offer(relay));
        got.push([err.kind, err.reason, err.sdpRejected]);
      }
      expect(got).to.deep.equal([
        ['refused', 'Failed to parse SDP', true],
        ['refused', 'Parallel session limit reached', false],
        ['bad-reply', 'reply without SDP', false],
        ['bad-reply', 'reply without a result', false],
      ]);
      expect(relay.failures()).to.have.deep.members([{ command: 'offer', kind: 'refused', count: 2 }, { command: 'offer', kind: 'bad-reply', count: 2 }]);
    } finally {
      relay.close();
      peer.close();
    }
  });

  it('garbage and replies arriving after their command timed out are reported as stray, never thrown: the command times out and the process goes on', async () => {
    const stray: Error[] = [];
    // First command: garbage twice (its two tries). Second: the right answer, but too late.
    const peer = await ngPeer((n) => (n <= 2 ? { raw: Buffer.from(`not bencode at all ${n}`) } : { body: bencode({ result: 'ok', sdp: SDP }), delayMs: 400 }));
    const relay = new RtpEngineRelay({ host: '127.0.0.1', port: peer.port, timeout: 200, tries: 2, onStrayReply: (err) => stray.push(err) });
    try {
      const garbled = await failure(offer(relay));
      expect([garbled.kind, garbled.reason]).to.deep.equal(['timeout', 'no reply within 200 ms (2 tries)']);
      const late = await failure(offer(relay));
      expect(late.kind).to.equal('timeout');
      // The late replies come in after the command gave up; each is reported, none throws.
      for (let i = 0; i < 100 && stray.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
      expect(stray.length).to.equal(4);
      expect(relay.failures()).to.deep.equal([{ command: 'offer', kind: 'timeout', count: 2 }]);
    } finally {
      relay.close();
      peer.close();
    }
  });
});
