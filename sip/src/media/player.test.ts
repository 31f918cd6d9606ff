// rtpengine's media player through the relay: a file played to one party of a session reaches
// that party's RTP address (and only it), which is what an announcement to a customer needs.
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { RtpEngineRelay } from './relay.js';
import { MediaError } from './relay.js';
import { rtpengineRelay } from '../test/support/services.js';
import { rtpPeer, toneWav } from '../test/support/rtp.js';

const sdp = (port: number) => `v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n`;

describe('rtpengine media player (announcements)', function () {
  this.timeout(30_000);
  let relay: RtpEngineRelay;
  before(async () => {
    relay = await rtpengineRelay();
  });

  it('plays a file to the party of the tag given, not to the other one, and says how long it lasts', async () => {
    const [customer, agent] = [await rtpPeer(), await rtpPeer()];
    const id = `player-${randomUUID()}`;
    try {
      await relay.offer({ sessionId: id, fromTag: 'customer', sdp: sdp(customer.port), profile: 'rtp' });
      await relay.answer({ sessionId: id, fromTag: 'customer', toTag: 'agent', sdp: sdp(agent.port), profile: 'rtp' });
      expect(await relay.play(id, 'customer', toneWav())).to.equal(1000);
      for (let i = 0; i < 200 && customer.received < 45; i++) await new Promise((r) => setTimeout(r, 50));
      expect(customer.received, 'packets of the announcement at the customer').to.be.at.least(45);
      expect(agent.received, 'packets at the other party').to.equal(0);
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
    const [customer, agent] = [await rtpPeer(), await rtpPeer()];
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
