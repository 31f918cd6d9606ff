// What call control writes into a leg's headers carries no control character: a visitor's NUL in
// their name once reached the PBX in X-Switchboard-Name, and the PBX refused the call with 400.
import { expect } from 'chai';
import { pino } from 'pino';
import { referredUser, uacOptions, withUser } from './legs.js';
import { CallControl } from './call-control.js';
import { InMemoryCallRecorder } from './recorder.js';
import { PassthroughRelay } from '../media/relay.js';
import { SipEngine } from '../engine.js';
import { stringify, toHeaderValue, type SipRequest } from '../message.js';

const IDS = { callId: 'c1', localTag: 't1' };
// Every C0 control character, DEL, and (in text) the C1 range.
const C0 = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join('');

describe('control characters in the headers of the legs call control places', () => {
  it('strips every control character from header values and the display name, tabs and line breaks becoming one space', () => {
    const o = uacOptions({
      uri: 'sip:7000@pbx', profile: 'rtp', fromName: `Zoë\x00 Mül\x07ler\r\nInjected: 1\u0085`,
      headers: { 'x-name': `a${C0}b\x7fc`, 'x-folded': 'part1\r\n  part2', 'x-tab': 'a\tb', 'x-utf8': toHeaderValue('Zoë') },
    }, IDS);
    expect(o.fromName).to.equal('Zoë Müller Injected: 1');
    expect(o.headers).to.deep.equal({ 'x-name': 'a bc', 'x-folded': 'part1 part2', 'x-tab': 'a b', 'x-utf8': Buffer.from('Zoë', 'utf8').toString('binary') });
  });

  it('leaves out a header whose name is not a token', () => {
    const o = uacOptions({ uri: 'sip:7000@pbx', profile: 'rtp', headers: { 'x-ok': '1', 'x-bad\x00name': '2', 'x bad': '3', 'x-bad\r\ninjected': '4' } }, IDS);
    expect(o.headers).to.deep.equal({ 'x-ok': '1' });
  });

  it("makes the interaction context's values text without control characters (C1 included), UTF-8 on the wire", async () => {
    const engine = new SipEngine({ listen: { host: '127.0.0.1' }, logger: pino({ level: 'silent' }) });
    const cc = new CallControl({
      engine, media: new PassthroughRelay(), recorder: new InMemoryCallRecorder(), realm: 'r', keepaliveMs: 0,
      router: { routeWidgetCall: async () => undefined, agentExtension: async () => undefined },
      authenticator: { lookup: async () => undefined },
      trunk: { host: '127.0.0.1', port: 5080, transport: 'udp' },
    });
    try {
      const h = cc.contextHeaders({ interactionId: 'int-1', name: 'Maria\x00 Rossi\u009b', email: 'm@example.com\r\nX-Evil: 1', fields: { topic: 'bill\x1bing\tnow' } });
      expect(h).to.deep.equal({
        'x-interaction-id': 'int-1', 'x-customer-name': 'Maria Rossi', 'x-customer-email': 'm@example.com X-Evil: 1', 'x-form-topic': 'billing now',
      });
      const invite: SipRequest = { kind: 'request', method: 'INVITE', uri: 'sip:7000@pbx', version: '2.0', body: '',
        headers: { via: [], from: { uri: 'sip:a@b', params: {} }, to: { uri: 'sip:c@d', params: {} }, 'call-id': 'x', cseq: { seq: 1, method: 'INVITE' }, ...uacOptions({ uri: 'sip:7000@pbx', profile: 'rtp', headers: h }, IDS).headers } };
      // eslint-disable-next-line no-control-regex
      expect(stringify(invite)).not.to.match(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n/);
    } finally {
      await cc.close();
    }
  });
});

describe('the target of a REFER call control carries out', () => {
  it('takes the user of a SIP Refer-To and dials it at the trunk as configured', () => {
    expect(referredUser({ uri: 'sip:700@127.0.0.1' })).to.equal('700');
    expect(referredUser({ uri: 'sips:+390212345@pbx.example.com:5061;transport=tls' })).to.equal('+390212345');
    expect(withUser('sip:600@pbx.example.com:5080;transport=tcp', '700')).to.equal('sip:700@pbx.example.com:5080;transport=tcp');
    expect(withUser('sip:pbx.example.com', '700')).to.equal('sip:700@pbx.example.com');
  });

  it('refuses what names no number or user at the PBX: another scheme, embedded headers (Replaces), no user, odd characters', () => {
    for (const uri of ['tel:+390212345', 'http://evil.example/', 'sip:700@pbx?Replaces=abc%3Bto-tag%3D1', 'sip:pbx.example.com', 'sip:a%20b@pbx', 'sip:7<0>0@pbx', '']) {
      expect(referredUser({ uri }), uri).to.equal(undefined);
    }
    expect(referredUser(undefined)).to.equal(undefined);
  });
});
