// End to end with a real browser: headless Chromium (fake microphone) runs sip.js with its own
// WebRTC session description handler, calls through Switchboard over WebSocket; rtpengine turns
// DTLS-SRTP/ICE into plain RTP for a sipp PBX that echoes the audio back. Audio must flow both
// ways: the browser's RTP counters and rtpengine's per-leg counters all move, and RFC 4733
// telephone-event packets sent by the browser reach the PBX side.
import { expect } from 'chai';
import http from 'node:http';
import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { join, normalize } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import type { RtpEngineRelay } from '../media/relay.js';
import { PACKAGE_ROOT, freePort, rtpengineRelay, sipp, waitForUdpListener, type SippProcess } from './support/services.js';
import { AGENT, WIDGET_TOKEN, startHarness, type Harness } from './support/harness.js';

const SIPJS = join(PACKAGE_ROOT, '..', 'node_modules', 'sip.js', 'lib');

const PAGE = `<!doctype html><meta charset="utf-8"><title>widget call</title>
<script type="module">
import { UserAgent, Inviter, SessionState, Registerer, RegistererState } from '/sipjs/index.js';
window.startCall = async (wsUrl, user, pass) => {
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:visitor@switchboard.test'),
    authorizationUsername: user, authorizationPassword: pass,
    transportOptions: { server: wsUrl }, logBuiltinEnabled: false,
    sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] }, iceGatheringTimeout: 1000 },
  });
  await ua.start();
  const inviter = new Inviter(ua, UserAgent.makeURI('sip:queue@switchboard.test'), {
    sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } },
  });
  window.ua = ua; window.session = inviter;
  await new Promise((resolve, reject) => {
    inviter.stateChange.addListener((s) => {
      if (s === SessionState.Established) resolve();
      if (s === SessionState.Terminated) reject(new Error('call terminated before answer'));
    });
    inviter.invite().catch(reject);
  });
};
window.rtpStats = async () => {
  const pc = window.session.sessionDescriptionHandler.peerConnection;
  let sent = 0, received = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'outbound-rtp' && s.kind === 'audio') sent += s.packetsSent;
    if (s.type === 'inbound-rtp' && s.kind === 'audio') received += s.packetsReceived;
  });
  let dtls = '';
  (await pc.getStats()).forEach((s) => { if (s.type === 'transport') dtls = s.dtlsState; });
  return { sent, received, ice: pc.iceConnectionState, dtls, local: pc.localDescription && pc.localDescription.sdp, remote: pc.remoteDescription && pc.remoteDescription.sdp };
};
window.startAgent = async (wsUrl, user, pass) => {
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:alice@switchboard.test'),
    authorizationUsername: user, authorizationPassword: pass,
    transportOptions: { server: wsUrl }, logBuiltinEnabled: false,
    sessionDescriptionHandlerFactoryOptions: { peerConnectionConfiguration: { iceServers: [] }, iceGatheringTimeout: 1000 },
    delegate: {
      onInvite(invitation) {
        window.session = invitation;
        invitation.accept({ sessionDescriptionHandlerOptions: { constraints: { audio: true, video: false } } });
      },
    },
  });
  await ua.start();
  window.ua = ua;
  const registerer = new Registerer(ua, { expires: 300 });
  await new Promise((resolve, reject) => {
    registerer.stateChange.addListener((s) => { if (s === RegistererState.Registered) resolve(); });
    registerer.register().catch(reject);
  });
};
window.inCall = () => !!window.session && window.session.state === SessionState.Established;
window.dtmf = (tones) => window.session.sessionDescriptionHandler.sendDtmf(tones);
window.hangup = async () => { await window.session.bye(); await window.ua.stop(); };
</script>`;

function serve(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
      return;
    }
    if (url.pathname.startsWith('/sipjs/')) {
      const file = normalize(join(SIPJS, url.pathname.slice('/sipjs/'.length)));
      if (!file.startsWith(SIPJS)) {
        res.writeHead(403).end();
        return;
      }
      readFile(file).then(
        (b) => res.writeHead(200, { 'content-type': 'text/javascript' }).end(b),
        () => res.writeHead(404).end(),
      );
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((r) => server.listen(0, '127.0.0.1', () => r(server)));
}

function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: execFileSync('sh', ['-c', 'command -v chromium']).toString().trim(),
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
      // Without it WebRTC to rtpengine on 127.0.0.1 gets ICE but never DTLS.
      '--allow-loopback-in-peer-connection',
    ],
  });
}

/** The PBX's media: echoes every RTP packet and counts them by payload type. */
async function rtpEcho(): Promise<{ socket: dgram.Socket; port: number; byPt: Map<number, number> }> {
  const byPt = new Map<number, number>();
  const socket = dgram.createSocket('udp4');
  socket.on('message', (m, from) => {
    const pt = (m[1] ?? 0) & 0x7f;
    byPt.set(pt, (byPt.get(pt) ?? 0) + 1);
    socket.send(m, from.port, from.address);
  });
  const port = await new Promise<number>((r) => socket.bind(0, '127.0.0.1', () => r(socket.address().port)));
  return { socket, port, byPt };
}

type Page = Awaited<ReturnType<Browser['newPage']>>;
type Stats = { sent: number; received: number; ice: string };
const rtpStats = (page: Page): Promise<Stats> => page.evaluate(() => (globalThis as unknown as { rtpStats(): Promise<Stats> }).rtpStats());

/** Packets rtpengine counted per leg of a session (summed over that leg's streams). */
async function legPackets(relay: RtpEngineRelay, sessionId: string): Promise<number[]> {
  const q = (await relay.query(sessionId)) as { tags?: Record<string, { medias?: Array<{ streams?: Array<{ stats?: { packets?: number } }> }> }> };
  return Object.values(q.tags ?? {}).map((t) =>
    (t.medias ?? []).flatMap((m) => m.streams ?? []).reduce((n, s) => n + (s.stats?.packets ?? 0), 0),
  );
}

describe('headless Chromium widget call with audio and DTMF both ways (sip.js, rtpengine, sipp PBX, RTP echo)', function () {
  this.timeout(60000);
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  let browser: Browser | undefined;
  let web: http.Server | undefined;
  let pbx: SippProcess | undefined;
  let echo: dgram.Socket | undefined;

  before(async () => {
    relay = await rtpengineRelay();
  });
  after(() => relay.close());
  afterEach(async () => {
    await browser?.close();
    web?.close();
    pbx?.kill();
    echo?.close();
    [browser, web, pbx, echo] = [undefined, undefined, undefined, undefined];
    if (h) {
      try {
        await h.assertClean();
      } finally {
        await h.close();
        h = undefined;
      }
    }
  });

  it('carries audio and RFC 4733 DTMF from the browser to the PBX and back, then leaves nothing behind', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay });
    const pbxMedia = await rtpEcho();
    echo = pbxMedia.socket;
    const { byPt, port: echoPort } = pbxMedia;
    pbx = sipp({ scenario: 'uas-answer-echo-dtmf.xml', port: pbxPort, timeoutS: 55, extra: ['-set', 'echo_port', String(echoPort)] });
    await waitForUdpListener(pbxPort, pbx);
    web = await serve();
    browser = await launch();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(web.address() as AddressInfo).port}/`);
    await page.evaluate(([ws, u, p]) => (globalThis as unknown as { startCall(a: string, b: string, c: string): Promise<void> }).startCall(ws!, u!, p!),
      [`ws://127.0.0.1:${h.wsPort}`, WIDGET_TOKEN.username, WIDGET_TOKEN.password]);

    const sessionId = [...h.cc.activeSessions.keys()][0]!;
    let stats = { sent: 0, received: 0, ice: '' };
    let legs: number[] = [];
    for (let i = 0; i < 120; i++) {
      stats = await page.evaluate(() => (globalThis as unknown as { rtpStats(): Promise<{ sent: number; received: number; ice: string }> }).rtpStats());
      legs = await legPackets(relay, sessionId);
      if (stats.sent > 50 && stats.received > 50 && legs.length === 2 && legs.every((n) => n > 50)) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(stats.ice, 'browser ICE state').to.match(/connected|completed/);
    if (process.env.SIP_TEST_LOG) console.error(JSON.stringify(stats, null, 1));
    expect(stats.sent, 'RTP packets the browser sent').to.be.greaterThan(50);
    expect(stats.received, 'RTP packets the browser received (echoed by the PBX)').to.be.greaterThan(50);
    expect(legs, 'rtpengine packet counts per leg').to.have.length(2);
    for (const n of legs) expect(n).to.be.greaterThan(50);

    // RFC 4733: the browser's telephone-event packets must reach the PBX side as such.
    const dtmfPt = Number(/a=rtpmap:(\d+) telephone-event\/8000/.exec(h.cc.activeSessions.values().next().value!.bDialog!.remoteSdp)?.[1]);
    expect(dtmfPt, 'telephone-event negotiated with the PBX').to.be.greaterThan(95);
    expect(await page.evaluate(() => (globalThis as unknown as { dtmf(t: string): boolean }).dtmf('5#'))).to.equal(true);
    for (let i = 0; i < 100 && !((byPt.get(dtmfPt) ?? 0) > 0); i++) await new Promise((r) => setTimeout(r, 100));
    expect(byPt.get(dtmfPt) ?? 0, 'DTMF event packets at the PBX').to.be.greaterThan(0);

    await page.evaluate(() => (globalThis as unknown as { hangup(): Promise<void> }).hangup());
    const r = await pbx.done;
    expect(r.code, r.stderr.slice(-800)).to.equal(0);
  });

  it('lets an agent softphone in Chromium take a PBX call for its extension, with audio both ways', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, trunk: { trustedAddresses: ['127.0.0.1'] } });
    const pbxMedia = await rtpEcho();
    echo = pbxMedia.socket;
    web = await serve();
    browser = await launch();
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${(web.address() as AddressInfo).port}/`);
    await page.evaluate(([ws, u, p]) => (globalThis as unknown as { startAgent(a: string, b: string, c: string): Promise<void> }).startAgent(ws!, u!, p!),
      [`ws://127.0.0.1:${h.wsPort}`, AGENT.username, AGENT.password]);
    expect(h.cc.registrar.lookup('201')?.flow.protocol).to.equal('ws');

    pbx = sipp({ scenario: 'uac-pbx-calls-extension-media-bye-received-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}`, timeoutS: 50,
      extra: ['-set', 'echo_port', String(pbxMedia.port)] });
    let stats: Stats = { sent: 0, received: 0, ice: '' };
    for (let i = 0; i < 300; i++) {
      if (await page.evaluate(() => (globalThis as unknown as { inCall(): boolean }).inCall())) {
        stats = await rtpStats(page);
        if (stats.sent > 50 && stats.received > 50) break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(stats.ice, 'browser ICE state').to.match(/connected|completed/);
    expect(stats.sent, 'RTP packets the agent sent').to.be.greaterThan(50);
    expect(stats.received, 'RTP packets the agent received (echoed by the PBX side)').to.be.greaterThan(50);
    expect([...pbxMedia.byPt.values()].reduce((a, b) => a + b, 0), 'RTP at the PBX side').to.be.greaterThan(50);
    await page.evaluate(() => (globalThis as unknown as { hangup(): Promise<void> }).hangup());
    const r = await pbx.done;
    expect(r.code, r.stderr.slice(-800)).to.equal(0);
  });
});
