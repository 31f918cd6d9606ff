// Browser-side flows over SIP-over-WebSocket with sip.js in Node: a widget call into the PBX,
// an agent softphone registering as a PBX extension and taking/placing calls, and
// originate-and-bridge for callbacks. The PBX is sipp; media goes through rtpengine.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { SessionState, UserAgent } from 'sip.js';
import JsSIP from 'jssip';
import type { IncomingRTCSessionEvent, RTCSessionEvent } from 'jssip/lib/UA.js';
import type { RtpEngineRelay } from '../media/relay.js';
import { freePort, rtpengineRelay, sipp, waitForUdpListener, type SippResult, type SippProcess } from './support/services.js';
import { AGENT, CONTEXT, WIDGET_TOKEN, startHarness, type Harness } from './support/harness.js';
import { requestStatus, softphone, waitForState, type Softphone } from './support/softphone.js';
import { finalResponse, statusOf, udpClient } from './support/raw.js';

function ok(r: SippResult, who: string): void {
  expect(r.code, `${who} sipp failed:\n${r.stderr.slice(-1500)}`).to.equal(0);
}

function expectWebrtcSdp(sdp: string | undefined): void {
  expect(sdp, 'SDP given to the browser').to.be.a('string');
  expect(sdp).to.match(/m=audio \d+ UDP\/TLS\/RTP\/SAVPF/);
  expect(sdp).to.match(/a=fingerprint:/);
  expect(sdp).to.match(/a=ice-ufrag:/);
  expect(sdp).to.match(/a=rtcp-mux/);
}

describe('browser-side calls over SIP-over-WebSocket (sip.js client, sipp PBX, rtpengine)', function () {
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  let phone: Softphone | undefined;
  const procs: SippProcess[] = [];

  before(async () => {
    relay = await rtpengineRelay();
  });
  after(() => relay.close());
  afterEach(async () => {
    await phone?.stop();
    phone = undefined;
    for (const p of procs.splice(0)) p.kill();
    if (h) {
      try {
        await h.assertClean();
      } finally {
        await h.close();
        h = undefined;
      }
    }
  });

  async function pbx(scenario: string, port: number): Promise<SippProcess> {
    const p = sipp({ scenario, port });
    procs.push(p);
    await waitForUdpListener(port, p);
    return p;
  }

  it('places a widget call from the browser to the PBX queue with the interaction context', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxRun = await pbx('uas-answer.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...WIDGET_TOKEN, user: 'visitor' });
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);
    expectWebrtcSdp(phone.remoteSdps[0]);
    expect([...h.cc.activeSessions.values()][0]?.interactionId).to.equal(CONTEXT.interactionId);
    await session.bye();
    ok(await pbxRun.done, 'PBX (checks X- headers and RTP/AVP)');
    await h.assertClean();
    expect(h.events.map((e) => e.name)).to.deep.equal(['ringing', 'answered', 'ended']);
  });

  it('hangs up both legs when the server ends the call', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxRun = await pbx('uas-answer.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...WIDGET_TOKEN, user: 'visitor' });
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);
    const [id] = [...h.cc.activeSessions.keys()];
    expect(await h.cc.hangup(id!)).to.equal(true);
    await waitForState(session, SessionState.Terminated);
    ok(await pbxRun.done, 'PBX (must receive BYE)');
    expect(await h.cc.hangup(id!), 'second hangup of the same call').to.equal(false);
  });

  it('transcodes when the browser offers only Opus and the PBX speaks only G.711', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxRun = await pbx('uas-answer-g711-only.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...WIDGET_TOKEN, user: 'visitor', opusOnly: true });
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);
    expectWebrtcSdp(phone.remoteSdps[0]);
    expect(phone.remoteSdps[0], 'the browser keeps Opus').to.match(/a=rtpmap:111 opus\/48000/);
    await session.bye();
    ok(await pbxRun.done, 'PBX (must be offered PCMU)');
  });

  it('keeps the extension registered at the PBX by refreshing before the granted expiry', async function () {
    this.timeout(30000);
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, agentExtension: { extension: '201', pbxPassword: 'ext-pw' } });
    const registrarRun = await pbx('uas-register-refresh.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...AGENT, user: 'alice' });
    expect(await phone.register()).to.equal(200);
    // The PBX grants 31 s; the refresh goes out ~5 s later, unprompted by the phone.
    ok(await registrarRun.done, 'PBX registrar (expects the registration and its refresh)');
  });

  it("ends the call and frees its media when the browser's WebSocket drops mid-call", async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxRun = await pbx('uas-answer.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...WIDGET_TOKEN, user: 'visitor' });
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);
    const [id] = [...h.cc.activeSessions.keys()];
    expect(await relay.list()).to.include(id);
    await phone.ua.transport.disconnect(); // no BYE: the connection just goes away
    ok(await pbxRun.done, 'PBX (must receive BYE)');
    await h.assertClean();
    expect((h.events.find((e) => e.name === 'ended')!.payload as { cause: string }).cause).to.equal('transport-lost');
  });

  it('ends every call and frees its media when Switchboard shuts down', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxRun = await pbx('uas-answer.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...WIDGET_TOKEN, user: 'visitor' });
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);
    const [id] = [...h.cc.activeSessions.keys()];
    await h.cc.close();
    await waitForState(session, SessionState.Terminated);
    ok(await pbxRun.done, 'PBX (must receive BYE)');
    expect(await relay.list()).to.not.include(id);
  });

  it('negotiates video end to end for a widget video call', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxRun = await pbx('uas-answer-video.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...WIDGET_TOKEN, user: 'visitor', video: true });
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);
    expectWebrtcSdp(phone.remoteSdps[0]);
    expect(phone.remoteSdps[0]).to.match(/m=video [1-9]\d* UDP\/TLS\/RTP\/SAVPF 96/);
    await session.bye();
    ok(await pbxRun.done, 'PBX (expects RTP/AVP video in the offer)');
  });

  it('registers an agent softphone as PBX extension 201 and receives the PBX call for it', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, trunk: { trustedAddresses: ['127.0.0.1'] }, agentExtension: { extension: '201', pbxPassword: 'ext-pw' } });
    const registrarRun = await pbx('uas-register-challenge.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...AGENT, user: 'alice', autoAnswer: true });
    expect(await phone.register()).to.equal(200);
    ok(await registrarRun.done, 'PBX registrar (verifies the extension digest)');
    expect(h.cc.registrar.lookup('201')?.flow.protocol).to.equal('ws');

    const caller = sipp({ scenario: 'uac-pbx-calls-extension-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}` });
    procs.push(caller);
    ok(await caller.done, 'PBX calling 201');
    expect(phone.incoming).to.have.length(1);
    expect(phone.incoming[0]!.remoteIdentity.uri.user).to.equal('+390212345');
    expectWebrtcSdp(phone.remoteSdps[0]);
  });

  it('registers a JsSIP softphone (the agent desktop library) through digest auth', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const socket = new JsSIP.WebSocketInterface(`ws://127.0.0.1:${h.wsPort}`);
    const ua = new JsSIP.UA({ sockets: [socket], uri: 'sip:alice@switchboard.test', authorization_user: AGENT.username, password: AGENT.password, register: false });
    try {
      const outcome = await new Promise<string>((resolve) => {
        ua.on('registered', () => resolve('registered'));
        ua.on('registrationFailed', (e: { cause?: string }) => resolve(`failed: ${e.cause}`));
        ua.on('connected', () => ua.register());
        ua.start();
      });
      expect(outcome).to.equal('registered');
      expect(h.cc.registrar.lookup('201')?.flow.protocol).to.equal('ws');
    } finally {
      ua.stop();
    }
    for (let i = 0; i < 300 && h.cc.registrar.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(h.cc.registrar.size, 'binding dropped after JsSIP unregistered').to.equal(0);
  });

  /**
   * A registered JsSIP phone (the agent desktop's library) that declines every call with 486 and
   * hands over what it saw. JsSIP takes an INVITE only where WebRTC exists; the phone declines
   * before any media, so the RTCPeerConnection it checks for is never constructed.
   */
  async function decliningJssipPhone(wsPort: number): Promise<{ nextCall: Promise<IncomingRTCSessionEvent>; stop(): void }> {
    const g = globalThis as { window?: unknown };
    const hadWindow = 'window' in g;
    const previous = g.window;
    g.window = { RTCPeerConnection: class { constructor() { throw new Error('no WebRTC in Node'); } } };
    const ua = new JsSIP.UA({ sockets: [new JsSIP.WebSocketInterface(`ws://127.0.0.1:${wsPort}`)], uri: 'sip:alice@switchboard.test', authorization_user: AGENT.username, password: AGENT.password, register: false });
    const stop = (): void => {
      ua.stop();
      if (hadWindow) g.window = previous;
      else delete g.window;
    };
    const nextCall = new Promise<IncomingRTCSessionEvent>((resolve) => {
      ua.on('newRTCSession', (e: RTCSessionEvent) => {
        if (e.originator !== 'remote') return;
        resolve(e);
        e.session.terminate({ status_code: 486, reason_phrase: 'Busy Here' });
      });
    });
    const registered = await new Promise<string>((resolve) => {
      ua.on('registered', () => resolve('registered'));
      ua.on('registrationFailed', (e: { cause?: string }) => resolve(`failed: ${e.cause}`));
      ua.on('connected', () => ua.register());
      ua.start();
    });
    if (registered !== 'registered') {
      stop();
      throw new Error(`JsSIP phone not registered: ${registered}`);
    }
    return { nextCall, stop };
  }

  it("shows the PBX caller's name, number and X- headers on a JsSIP softphone (sipp PBX)", async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, trunk: { trustedAddresses: ['127.0.0.1'] } });
    const jssip = await decliningJssipPhone(h.wsPort);
    try {
      const caller = sipp({ scenario: 'uac-pbx-calls-extension-identity-expect-486.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}` });
      procs.push(caller);
      const got = await jssip.nextCall;
      ok(await caller.done, 'PBX calling 201 (expects the 486 the phone sent, with its cause)');
      expect(got.session.remote_identity.display_name).to.equal('Ada Lovelace');
      expect(got.session.remote_identity.uri.user).to.equal('+390212345');
      expect(got.request.getHeader('X-Switchboard-Interaction')).to.equal('int-42');
      expect(got.request.getHeader('X-Queue')).to.equal('sales');
      expect(got.request.hasHeader('X-Long'), 'an over-long value').to.equal(false);
      expect(got.request.hasHeader('Organization'), 'a non-X header').to.equal(false);
    } finally {
      jssip.stop();
    }
  });

  it('refuses a PBX INVITE with a lone CR or LF in a header (400 naming it), and passes folded caller text as one line', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, trunk: { trustedAddresses: ['127.0.0.1'] } });
    const jssip = await decliningJssipPhone(h.wsPort);
    const pbxSide = await udpClient(h.sipPort);
    try {
      const sdp = ['v=0', 'o=pbx 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');
      const invite = (n: number, from: string, extra: string[]): string => [`INVITE sip:201@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKinj${n};rport`,
        `From: ${from} <sip:+3902@127.0.0.1>;tag=inj${n}`, 'To: <sip:201@127.0.0.1>', `Call-ID: inject-${n}@127.0.0.1`, 'CSeq: 1 INVITE', 'Contact: <sip:pbx@127.0.0.1:9>',
        'Max-Forwards: 70', ...extra, 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp].join('\r\n');
      const ack = (n: number, final: string): string => [`ACK sip:201@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKinj${n};rport`,
        `From: <sip:+3902@127.0.0.1>;tag=inj${n}`, `To: ${/^To: (.*)$/m.exec(final)?.[1] ?? ''}`, `Call-ID: inject-${n}@127.0.0.1`, 'CSeq: 1 ACK', 'Content-Length: 0', '', ''].join('\r\n');
      for (const [n, from, extra] of [[1, '"Eve\rInjected: 1"', []], [2, '"Eve"', ['X-Cr: a\rInjected: 2']], [3, '"Eve"', ['X-Lf: b\nInjected: 3']]] as const) {
        pbxSide.send(invite(n, from, [...extra]));
        // drachtio-server's sofia-sip refuses the broken From itself; the rest reach our parser.
        const refusal = h.kind === 'drachtio' && n === 1 ? '400 Bad From Header' : '400 Bad Request (control character in a header value)';
        const res = await finalResponse(pbxSide, { callId: `inject-${n}@127.0.0.1` });
        expect(res.split('\r\n')[0]).to.equal(`SIP/2.0 ${refusal}`);
        // ACKed like any final response to an INVITE (a transaction would resend it until then).
        pbxSide.send(ack(n, res));
      }
      pbxSide.send(invite(4, '"Eve\r\n Folded"', ['X-Folded: part1\r\n  part2']));
      const got = await jssip.nextCall;
      const final = await finalResponse(pbxSide, { callId: 'inject-4@127.0.0.1' });
      expect(statusOf(final)).to.equal(486);
      pbxSide.send(ack(4, final));
      const raw = (got.request as unknown as { data: string }).data;
      expect(raw, 'line ends on the softphone leg').not.to.match(/[^\r]\n|\r[^\n]/);
      expect(got.request.getHeader('X-Folded')).to.equal('part1 part2');
      expect(got.session.remote_identity.display_name).to.equal('Eve Folded');
      expect(got.request.hasHeader('Injected')).to.equal(false);
    } finally {
      pbxSide.close();
      jssip.stop();
    }
  });

  it('drops the binding when the softphone disconnects, so PBX calls get 480', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    phone = await softphone({ wsPort: h.wsPort, ...AGENT, user: 'alice' });
    expect(await phone.register()).to.equal(200);
    expect(h.cc.registrar.size).to.equal(1);
    await phone.stop();
    phone = undefined;
    for (let i = 0; i < 300 && h.cc.registrar.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(h.cc.registrar.size).to.equal(0);
  });

  it('refuses REGISTER with a wrong password and never registers upstream', async () => {
    const received: string[] = [];
    const silent = dgram.createSocket('udp4');
    silent.on('message', (m) => received.push(m.toString()));
    const pbxPort = await new Promise<number>((r) => silent.bind(0, '127.0.0.1', () => r(silent.address().port)));
    try {
      h = await startHarness({ pbxPort, relay, agentExtension: { extension: '201', pbxPassword: 'ext-pw' } });
      phone = await softphone({ wsPort: h.wsPort, username: AGENT.username, password: 'wrong', user: 'alice' });
      expect(await phone.register()).to.equal(403);
      expect(h.cc.registrar.size).to.equal(0);
      expect(received, 'anything sent to the PBX').to.deep.equal([]);
    } finally {
      silent.close();
    }
  });

  it('lets an agent softphone call a PBX number as its extension', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxRun = await pbx('uas-answer-any.xml', pbxPort);
    phone = await softphone({ wsPort: h.wsPort, ...AGENT, user: 'alice' });
    const session = await phone.call('sip:0612345678@switchboard.test');
    await waitForState(session, SessionState.Established);
    expectWebrtcSdp(phone.remoteSdps[0]);
    await session.bye();
    ok(await pbxRun.done, 'PBX');
  });

  it('originates a callback: rings the agent softphone, then the customer, and bridges them', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    phone = await softphone({ wsPort: h.wsPort, ...AGENT, user: 'alice', autoAnswer: true });
    expect(await phone.register()).to.equal(200);
    const pbxRun = await pbx('uas-answer.xml', pbxPort);
    const session = await h.cc.originate({ a: { kind: 'agent', agentId: 'agent-1', extension: '201' }, bNumber: '0612345678', context: CONTEXT });
    for (let i = 0; i < 300 && session.state !== 'answered' && session.state !== 'ended'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(session.state, `call state (ended: ${session.endCause})`).to.equal('answered');
    // The agent was re-INVITEd onto the customer's media: two SDPs, both for the browser.
    expect(phone.remoteSdps).to.have.length(2);
    expectWebrtcSdp(phone.remoteSdps[1]);
    await session.teardown('caller-hangup');
    ok(await pbxRun.done, 'PBX as the customer (checks X- headers)');
  });
});

describe('in-call features from the browser (hold/resume, DTMF INFO, blind transfer)', function () {
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  let phone: Softphone | undefined;
  let pbxRun: SippProcess | undefined;

  before(async () => {
    relay = await rtpengineRelay();
  });
  after(() => relay.close());
  afterEach(async () => {
    await phone?.stop();
    pbxRun?.kill();
    if (h) {
      try {
        await h.assertClean();
      } finally {
        await h.close();
      }
    }
  });

  it('relays hold, resume, SIP INFO DTMF and a REFER to the PBX, which transfers and hangs up', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    pbxRun = sipp({ scenario: 'uas-answer-hold-resume-info-refer.xml', port: pbxPort });
    await waitForUdpListener(pbxPort, pbxRun);
    phone = await softphone({ wsPort: h.wsPort, ...WIDGET_TOKEN, user: 'visitor' });
    const session = await phone.call('sip:queue@switchboard.test');
    await waitForState(session, SessionState.Established);

    expect(await requestStatus((d) => session.invite({ requestDelegate: d, sessionDescriptionHandlerOptions: { hold: true } as never }))).to.equal(200);
    expect(h.events.filter((e) => e.name === 'held').map((e) => (e.payload as { held: boolean }).held)).to.deep.equal([true]);
    expect(await requestStatus((d) => session.invite({ requestDelegate: d, sessionDescriptionHandlerOptions: { hold: false } as never }))).to.equal(200);
    expect(h.events.filter((e) => e.name === 'held').map((e) => (e.payload as { held: boolean }).held)).to.deep.equal([true, false]);

    expect(await requestStatus((d) => session.info({
      requestDelegate: d,
      requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: 'Signal=5\r\nDuration=160\r\n' } },
    }))).to.equal(200);

    const target = UserAgent.makeURI('sip:8000@switchboard.test')!;
    expect(await requestStatus((d) => session.refer(target, { requestDelegate: d }))).to.equal(200);
    await waitForState(session, SessionState.Terminated);
    const r = await pbxRun.done;
    expect(r.code, r.stderr.slice(-1000)).to.equal(0);
    await h.assertClean();
    // The PBX said the new call was up before it hung up: the call went on without us, not ended.
    expect((h.events.find((e) => e.name === 'ended')!.payload as { cause: string }).cause).to.equal('transferred');
  });
});
