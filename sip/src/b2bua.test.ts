// createB2BUA, the drachtio-srf-shaped convenience, on a bare engine: sipp caller → engine →
// sipp PBX. Call control uses CallSession instead, but the engine API must hold on its own.
import { expect } from 'chai';
import { SipStatusError } from './dialog/dialog.js';
import type { RunningEngine, SipDialog } from './engine-api.js';
import { freePort, sipp, waitForUdpListener } from './test/support/services.js';
import { startTestEngine } from './test/support/engine.js';

describe('engine.createB2BUA', () => {
  let engine: RunningEngine;
  let port: number;
  let pbxPort: number;
  const outcomes: Array<{ uas: SipDialog; uac: SipDialog } | number> = [];

  beforeEach(async () => {
    pbxPort = await freePort();
    outcomes.length = 0;
    ({ engine, sipPort: port } = await startTestEngine());
    engine.use('INVITE', async (req, res) => {
      try {
        outcomes.push(await engine.createB2BUA(req, res, `sip:7000@127.0.0.1:${pbxPort}`, { proxyRequestHeaders: ['X-Custom'] }));
      } catch (err) {
        outcomes.push(err instanceof SipStatusError ? err.status : -1);
      }
    });
  });
  afterEach(async () => {
    for (let i = 0; i < 200 && engine.dialogs.size > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect([...engine.dialogs.keys()], 'dialogs left over').to.deep.equal([]);
    await engine.close();
  });

  it('bridges two dialogs and ends both on the caller BYE', async () => {
    const pbx = sipp({ scenario: 'uas-answer-any.xml', port: pbxPort });
    await waitForUdpListener(pbxPort, pbx);
    const caller = sipp({ scenario: 'uac-plain-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${port}` });
    expect((await caller.done).code).to.equal(0);
    expect((await pbx.done).code).to.equal(0);
    expect(outcomes).to.have.length(1);
    const o = outcomes[0] as { uas: SipDialog; uac: SipDialog };
    expect(o.uas.side).to.equal('uas');
    expect(o.uac.side).to.equal('uac');
  });

  it('passes a failure from B back to A and rejects with its status', async () => {
    const pbx = sipp({ scenario: 'uas-busy.xml', port: pbxPort });
    await waitForUdpListener(pbxPort, pbx);
    const caller = sipp({ scenario: 'uac-plain-expect-486.xml', port: await freePort(), remote: `127.0.0.1:${port}` });
    expect((await caller.done).code).to.equal(0);
    expect((await pbx.done).code).to.equal(0);
    expect(outcomes).to.deep.equal([486]);
  });
});
