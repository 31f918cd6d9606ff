// A call must not outlive its media. rtpengine restarted under an answered call has forgotten the
// session: no packet would flow again, and neither party is told. Call control checks answered
// calls' sessions and ends the lost ones on both legs with `media-lost`. The rtpengine here is the
// test's own (its ng port and media ports apart from the shared one), restarted by the test.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RtpEngineRelay } from '../media/relay.js';
import { NG_TIMEOUT_MS, freePort, sipp, waitForUdpListener, type SippResult } from './support/services.js';
import { startHarness, type Harness } from './support/harness.js';

function ok(r: SippResult, who: string): void {
  expect(r.code, `${who} sipp failed:\n${r.stderr.slice(-1500)}`).to.equal(0);
}

/** An rtpengine of this test's own, on `ngPort`, media on 31000–31999 (outside the shared one's range). */
function scratchRtpengine(ngPort: number): ChildProcess {
  const dir = mkdtempSync(join(tmpdir(), 'sb-rtpengine-scratch-'));
  return spawn('rtpengine', [
    '--config-file=none', '--foreground', '--log-stderr', '--table=-1', '--interface=127.0.0.1',
    `--listen-ng=127.0.0.1:${ngPort}`, '--port-min=31000', '--port-max=31999', `--pidfile=${join(dir, 'pid')}`,
  ], { stdio: 'ignore' });
}

async function until(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not reached: ${what}`);
}

describe('calls whose media session rtpengine lost', function () {
  this.timeout(90000);
  let ngPort: number;
  let rtp: ChildProcess | undefined;
  let relay: RtpEngineRelay;
  let h: Harness | undefined;
  const kills: Array<() => void> = [];

  async function startRtpengine(): Promise<void> {
    rtp = scratchRtpengine(ngPort);
    await until(() => relay.ping(), 'the scratch rtpengine answers ping');
  }
  async function stopRtpengine(): Promise<void> {
    const p = rtp;
    rtp = undefined;
    if (!p || p.exitCode !== null) return;
    p.kill('SIGTERM');
    await once(p, 'exit');
  }

  before(async () => {
    ngPort = await freePort();
    relay = new RtpEngineRelay({ host: '127.0.0.1', port: ngPort, timeout: NG_TIMEOUT_MS });
    await startRtpengine();
  });
  after(async () => {
    for (const k of kills.splice(0)) k();
    await h?.close();
    await stopRtpengine();
    relay.close();
  });

  it('ends both legs with "media-lost" when rtpengine restarts under an answered call', async () => {
    const pbxPort = await freePort();
    h = await startHarness({ pbxPort, relay, mediaCheckMs: 300 });
    const pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort, timeoutS: 60 });
    kills.push(pbx.kill);
    await waitForUdpListener(pbxPort, pbx);
    const caller = sipp({ scenario: 'uac-answer-media-lost-bye-received-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${h.sipPort}`, timeoutS: 60 });
    kills.push(caller.kill);
    await until(() => h!.events.some((e) => e.name === 'answered'), 'the call is answered');
    const [session] = [...h.cc.activeSessions.keys()];
    expect(await relay.list()).to.include(session);

    // Checks while rtpengine holds the session end nothing: two of them over this call are back,
    // the first one's outcome acted on by the time the second ran.
    const checks: string[][] = [];
    const lostSessions = relay.lostSessions.bind(relay);
    relay.lostSessions = async (ids: string[]) => {
      const lost = await lostSessions(ids);
      if (session && ids.includes(session)) checks.push(lost);
      return lost;
    };
    await until(() => checks.length >= 2 || checks.some((lost) => lost.length > 0), 'two media checks of the answered call');
    expect(checks.flat()).to.deep.equal([]);
    expect(h.events.map((e) => e.name)).not.to.include('ended');
    expect(h.cc.activeSessions.size).to.equal(1);

    await stopRtpengine();
    await startRtpengine();
    // Both parties get a BYE, and the call's end says why.
    ok(await caller.done, 'caller (expects a BYE)');
    ok(await pbx.done, 'PBX (expects a BYE)');
    const ended = h.events.find((e) => e.name === 'ended')!.payload as { cause: string; description: string };
    expect(ended.cause).to.equal('media-lost');
    expect(ended.description).to.match(/audio/i);
    for (const leg of h.recorder.legs.values()) expect(leg.ended?.cause).to.equal('media-lost');
    await h.assertClean();
  });
});
