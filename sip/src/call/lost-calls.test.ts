// Ending a call of a process that died (endLostCall), on the in-process engine with a UDP socket
// of the test as the peer. The peer gets an RFC 3261 in-dialog BYE built from the dialog's
// snapshot; the media, the records and the call's end must not wait for the BYE's answer: peers
// that answer to the address the call came from (the dead process's, as sipp does) or not at all
// once held the media for Timer F's 32 s.
import { expect } from 'chai';
import { pino } from 'pino';
import { SipEngine } from '../engine.js';
import type { MediaRelay } from '../media/relay.js';
import { CallEvents, type CallEventMap } from './recorder.js';
import { endLostCall } from './lost-calls.js';
import type { LiveCall } from './live-calls.js';
import type { EndCause } from './recorder.js';
import { freePort } from '../test/support/services.js';
import { udpClient, type Client } from '../test/support/raw.js';

/** Our own interface, recording what is asked of it. */
class RecordingRelay implements MediaRelay {
  readonly kind = 'rtpengine' as const;
  readonly deleted: string[] = [];
  async offer(): Promise<string> {
    throw new Error('not used');
  }
  async answer(): Promise<string> {
    throw new Error('not used');
  }
  async delete(sessionId: string): Promise<void> {
    this.deleted.push(sessionId);
  }
}

const header = (msg: string, name: string) => new RegExp(`^${name}:\\s*(.*?)\\s*$`, 'im').exec(msg)?.[1];

describe('a call whose process died is ended from its live-call record', () => {
  let engine: SipEngine;
  let peer: Client;
  let enginePort: number;
  beforeEach(async () => {
    enginePort = await freePort();
    engine = new SipEngine({ listen: { host: '127.0.0.1', udpPort: enginePort, tcpPort: enginePort, wsPort: await freePort() }, logger: pino({ level: 'silent' }) });
    await engine.listen();
    peer = await udpClient(enginePort);
  });
  afterEach(async () => {
    peer.close();
    await engine.close();
  });

  it("BYEs the one leg of a customer still waiting, through its route set with the next CSeq and both tags, deletes the media without waiting for the BYE's answer, and names who placed the call", async () => {
    const call: LiveCall = {
      callSessionId: 'session-1',
      media: { callId: 'session-1', fromTag: 'a-placeholder' },
      legs: [{
        legId: 'leg-customer',
        dialog: {
          side: 'uac', callId: 'dialog-call-id',
          local: { uri: 'sip:switchboard@127.0.0.1', params: { tag: 'ours' } },
          remote: { uri: 'sip:0644443333@127.0.0.1', params: { tag: 'theirs' } },
          // Unroutable on purpose: with a route set the BYE goes to its first hop, the peer here.
          remoteTarget: 'sip:customer@192.0.2.7:5060',
          routeSet: [{ uri: `sip:127.0.0.1:${peer.port};lr`, params: {} }],
          localCseq: 4,
          flow: { protocol: 'udp', address: '127.0.0.1', port: peer.port },
          contact: [{ uri: `sip:switchboard@127.0.0.1:${enginePort}`, params: {} }],
        },
      }],
      answeredAt: new Date().toISOString(),
      placedBy: { context: 'callbacks', ref: 'callback-1/1' },
    };
    const media = new RecordingRelay();
    const lost: Array<[string, EndCause]> = [];
    const events = new CallEvents();
    const ended: CallEventMap['ended'][0][] = [];
    events.on('ended', (e) => ended.push(e));
    const recorder = {
      legCreated: () => undefined, legRinging: () => undefined, legAnswered: () => undefined, legEnded: () => undefined,
      callLost: (id: string, _at: Date, cause: EndCause) => void lost.push([id, cause]),
    };

    await endLostCall({ engine, media, recorder, events, log: pino({ level: 'silent' }) }, call, 'server-lost');
    expect(media.deleted).to.deep.equal(['session-1']);
    expect(lost).to.deep.equal([['session-1', 'server-lost']]);
    // No interaction to close: its end names who placed the call, for them to follow up.
    expect(ended.map((e) => [e.callSessionId, e.cause, e.interactionId, e.placedBy])).to.deep.equal([['session-1', 'server-lost', undefined, { context: 'callbacks', ref: 'callback-1/1' }]]);

    // All of that happened before the peer answered; the BYE is the dialog's, as RFC 3261 §12.2.1.1 builds it.
    const bye = await peer.next();
    expect(bye.split('\r\n')[0]).to.equal('BYE sip:customer@192.0.2.7:5060 SIP/2.0');
    expect(header(bye, 'Route')).to.equal(`<sip:127.0.0.1:${peer.port};lr>`);
    expect(header(bye, 'CSeq')).to.equal('5 BYE');
    expect(header(bye, 'Call-ID')).to.equal('dialog-call-id');
    expect(header(bye, 'From')).to.match(/;tag=ours\b/);
    expect(header(bye, 'To')).to.match(/;tag=theirs\b/);
    expect(header(bye, 'X-End-Cause')).to.equal('server-lost');
    peer.send([
      'SIP/2.0 200 OK', `Via: ${header(bye, 'Via')}`, `From: ${header(bye, 'From')}`, `To: ${header(bye, 'To')}`,
      'Call-ID: dialog-call-id', 'CSeq: 5 BYE', 'Content-Length: 0', '', '',
    ].join('\r\n'));
  });
});
