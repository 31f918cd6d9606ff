// Keeping the service up: a request flood from one source is refused without starving another
// caller, and the PBX trunk is watched with OPTIONS.
import { expect } from 'chai';
import { freePort, rtpengineRelay, sipp, waitForUdpListener, type SippProcess } from './support/services.js';
import { startHarness, type Harness } from './support/harness.js';
import { statusOf, udpClient } from './support/raw.js';
import type { RtpEngineRelay } from '../media/relay.js';
import type { TrunkStatus } from '../call/trunk-monitor.js';

function options(n: number): string {
  return [`OPTIONS sip:switchboard@127.0.0.1 SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKflood${n}`,
    `From: <sip:flood@127.0.0.1>;tag=f${n}`, `To: <sip:switchboard@127.0.0.1>`, `Call-ID: flood-${n}@127.0.0.1`,
    `CSeq: 1 OPTIONS`, `Max-Forwards: 70`, `Content-Length: 0`, '', ''].join('\r\n');
}

describe('service protection', function () {
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  const procs: SippProcess[] = [];
  before(async () => {
    relay = await rtpengineRelay();
  });
  after(() => relay.close());
  afterEach(async () => {
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

  it('refuses a flood from one source with 503 while another caller still gets through', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, floodLimit: { ratePerSecond: 20, burst: 40 } });
    const pbx = sipp({ scenario: 'uas-answer.xml', port: pbxPort });
    procs.push(pbx);
    await waitForUdpListener(pbxPort, pbx);
    const flooder = await udpClient(h.sipPort);
    const TOTAL = 2000;
    const caller = sipp({ scenario: 'uac-answer-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}` });
    procs.push(caller);
    for (let i = 0; i < TOTAL; i++) {
      flooder.send(options(i));
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    }
    const legit = await caller.done;
    for (let i = 0; i < 200 && flooder.all.length < TOTAL; i++) await new Promise((r) => setTimeout(r, 50));
    flooder.close();
    expect(legit.code, `legitimate caller failed during the flood:\n${legit.stderr.slice(-800)}`).to.equal(0);
    expect((await pbx.done).code, 'PBX').to.equal(0);
    const refused = flooder.all.filter((m) => statusOf(m) === 503).length;
    const served = flooder.all.filter((m) => statusOf(m) === 200).length;
    expect(served, 'requests let through (burst + refill)').to.be.within(40, 200);
    // UDP may drop part of a flood in socket buffers; of what was answered, most was refused.
    expect(refused + served, 'requests answered').to.be.at.least(TOTAL / 4);
    expect(refused / (refused + served), 'share refused').to.be.at.least(0.75);
    expect(flooder.all.find((m) => statusOf(m) === 503)).to.match(/\r\nRetry-After: 5\r\n/i);
  });

  it('reports the trunk up while the PBX answers OPTIONS, and down when it stops answering', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, timers: { t1: 40 } });
    const seen: TrunkStatus[] = [];
    h.cc.trunkMonitor.on('status', (s) => seen.push(s));
    const pbx = sipp({ scenario: 'uas-options.xml', port: pbxPort });
    procs.push(pbx);
    await waitForUdpListener(pbxPort, pbx);
    expect(await h.cc.trunkMonitor.check()).to.include({ up: true, status: 200 });
    expect((await pbx.done).code).to.equal(0);
    // Nobody listens any more. Our transaction layer waits for timer F (408); drachtio-server's
    // sofia-sip takes the ICMP port-unreachable as a transport error and answers 503 at once.
    expect(await h.cc.trunkMonitor.check()).to.include({ up: false, status: h.kind === 'drachtio' ? 503 : 408 });
    expect(seen.map((s) => s.up)).to.deep.equal([true, false]);
  });
});
