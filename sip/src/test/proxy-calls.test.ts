// Every call flow, with a record-routing proxy (Kamailio) in front of the PBX, as deployments
// have it (an SBC or proxy before the PBX). The proxy stays on each dialog's path only if
// Switchboard copies its Record-Route into 1xx/2xx (RFC 3261 §12.1.1) and sends in-dialog
// requests — the ACK for 2xx above all — along the route set (§12.2.1.1). Calls are held past
// 64·T1, when a UAS whose 2xx got no ACK gives up; the proxy's log shows which requests went
// through it.
import { expect } from 'chai';
import { SessionState, UserAgent } from 'sip.js';
import { freePort, sipp } from './support/services.js';
import { requestStatus, waitForState } from './support/softphone.js';
import { ProxySuite, TALK, expectUpPast64T1, routedFrom, sippOk, unrouted } from './support/proxy.js';

describe('calls through a record-routing proxy in front of the PBX (Kamailio), held past 64·T1', function () {
  this.timeout(30000);
  const s = new ProxySuite();

  it('widget call to the PBX: addressed to the proxy by port, still up past 64·T1, ACK and BYE through the proxy', async () => {
    const w = await s.start({ recordRoute: true });
    const pbx = await s.pbxBehind('uas-behind-proxy-answer.xml');
    const session = await s.widgetCall();
    await expectUpPast64T1(w.h, 1);
    await session.bye();
    sippOk(await pbx.done, 'PBX (expects the Record-Route, the ACK and the BYE)', w.k);
    const invite = w.k.seen().find((x) => x.kind === 'initial' && x.method === 'INVITE');
    expect(invite?.ruri, "INVITE's Request-URI").to.equal(`sip:7000@127.0.0.1:${w.k.port}`);
    expect(routedFrom(w.k, w.sbPort)).to.deep.equal(['ACK', 'BYE']);
    expect(unrouted(w.k)).to.deep.equal([]);
  });

  it("widget call the PBX hangs up: the PBX's BYE comes through the proxy to Switchboard's Contact", async () => {
    const w = await s.start({ recordRoute: true });
    const pbx = await s.pbxBehind('uas-behind-proxy-answer-then-bye.xml');
    const session = await s.widgetCall();
    await expectUpPast64T1(w.h, 1);
    await waitForState(session, SessionState.Terminated, TALK);
    sippOk(await pbx.done, 'PBX', w.k);
    await w.h.assertClean();
    expect(routedFrom(w.k, w.sbPort)).to.deep.equal(['ACK']);
    expect(routedFrom(w.k, w.pbxPort)).to.deep.equal(['BYE']);
    expect((w.h.events.find((e) => e.name === 'ended')!.payload as { cause: string }).cause).to.equal('callee-hangup');
  });

  it('PBX call to an extension through the proxy: 200 carries its Record-Route, up past 64·T1, the PBX hangs up', async () => {
    const w = await s.start({ recordRoute: true, trustProxy: true });
    const phone = await s.agent();
    const pbx = await s.pbxCalling('uac-pbx-via-proxy-calls-extension-expect-200.xml');
    await s.answered(phone);
    await expectUpPast64T1(w.h, 1);
    sippOk(await pbx.done, 'PBX (expects the Record-Route in the 200)', w.k);
    expect(w.k.seen().filter((x) => x.kind === 'routed').map((x) => x.method)).to.deep.equal(['ACK', 'BYE']);
    expect(unrouted(w.k)).to.deep.equal([]);
  });

  it('PBX call to an extension the agent hangs up: the BYE follows the route set through the proxy', async () => {
    const w = await s.start({ recordRoute: true, trustProxy: true });
    const phone = await s.agent();
    const pbx = await s.pbxCalling('uac-pbx-via-proxy-calls-extension-bye-received-expect-200.xml');
    const call = await s.answered(phone);
    await expectUpPast64T1(w.h, 1);
    await call.bye();
    sippOk(await pbx.done, 'PBX (expects the BYE)', w.k);
    expect(routedFrom(w.k, w.sbPort)).to.deep.equal(['BYE']);
    expect(unrouted(w.k)).to.deep.equal([]);
  });

  it('originates a callback whose customer leg goes through the proxy, up past 64·T1, then ends it', async () => {
    const w = await s.start({ recordRoute: true });
    await s.agent();
    const pbx = await s.pbxBehind('uas-behind-proxy-answer.xml');
    const session = await w.h.cc.originate({ a: { kind: 'agent', agentId: 'agent-1', extension: '201' }, bNumber: '0612345678' });
    for (let i = 0; i < 300 && session.state !== 'answered' && session.state !== 'ended'; i++) await new Promise((r) => setTimeout(r, 50));
    expect(session.state, `call state (ended: ${session.endCause})`).to.equal('answered');
    await expectUpPast64T1(w.h, 1);
    await session.teardown('caller-hangup');
    sippOk(await pbx.done, 'PBX as the customer (expects the ACK and the BYE)', w.k);
    expect(routedFrom(w.k, w.sbPort)).to.deep.equal(['ACK', 'BYE']);
  });

  it('relays hold, resume, SIP INFO DTMF and a blind-transfer REFER through the proxy; the NOTIFY and BYE come back through it', async () => {
    const w = await s.start({ recordRoute: true });
    const pbx = await s.pbxBehind('uas-behind-proxy-hold-resume-info-refer.xml');
    const session = await s.widgetCall();
    await expectUpPast64T1(w.h, 1);
    expect(await requestStatus((d) => session.invite({ requestDelegate: d, sessionDescriptionHandlerOptions: { hold: true } as never }))).to.equal(200);
    expect(await requestStatus((d) => session.invite({ requestDelegate: d, sessionDescriptionHandlerOptions: { hold: false } as never }))).to.equal(200);
    expect(w.h.events.filter((e) => e.name === 'held').map((e) => (e.payload as { held: boolean }).held)).to.deep.equal([true, false]);
    expect(await requestStatus((d) => session.info({
      requestDelegate: d,
      requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: 'Signal=5\r\nDuration=160\r\n' } },
    }))).to.equal(200);
    expect(await requestStatus((d) => session.refer(UserAgent.makeURI('sip:8000@switchboard.test')!, { requestDelegate: d }))).to.equal(200);
    await waitForState(session, SessionState.Terminated);
    sippOk(await pbx.done, 'PBX', w.k);
    expect(routedFrom(w.k, w.sbPort)).to.deep.equal(['ACK', 'INVITE', 'ACK', 'INVITE', 'ACK', 'INFO', 'REFER']);
    expect(routedFrom(w.k, w.pbxPort)).to.deep.equal(['NOTIFY', 'BYE']);
    expect(unrouted(w.k)).to.deep.equal([]);
  });

  it('relays a hold re-INVITE the PBX sends through the proxy, past 64·T1, to a caller', async () => {
    const w = await s.start({ recordRoute: true });
    const pbx = await s.pbxBehind('uas-behind-proxy-reinvite.xml');
    const caller = s.track(sipp({ scenario: 'uac-hold-by-pbx-expect-200.xml', port: await freePort(), remote: `127.0.0.1:${w.h.sipPort}`, timeoutS: 20 }));
    sippOk(await caller.done, 'caller (must receive the re-INVITE)');
    sippOk(await pbx.done, 'PBX (expects a=recvonly in the answer, then the BYE)', w.k);
    expect(routedFrom(w.k, w.pbxPort)).to.deep.equal(['INVITE', 'ACK']);
    expect(routedFrom(w.k, w.sbPort)).to.deep.equal(['ACK', 'BYE']);
    expect(w.h.events.find((e) => e.name === 'held')?.payload).to.include({ held: true, by: 'b' });
  });
});
