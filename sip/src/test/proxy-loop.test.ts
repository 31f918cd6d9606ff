// The whole loop a visitor's call makes when the PBX hands it to an agent — widget → Switchboard
// → proxy (the PBX stand-in's queue 600) → Switchboard (extension 201) → the agent's softphone —
// over UDP and over TCP (where the proxy record-routes twice), the same without record-routing,
// and how requests to the trunk are addressed (host, port and transport as configured).
import { expect } from 'chai';
import { SessionState, type Invitation, type Session } from 'sip.js';
import { requestStatus, waitForState } from './support/softphone.js';
import { ProxySuite, QUEUE, expectUpPast64T1, routedFrom, sippOk, unrouted } from './support/proxy.js';
import { DRACHTIO_DIFFERS, notOnDrachtio } from './support/engine.js';

const hold = (session: Session, on: boolean): Promise<number> =>
  requestStatus((d) => session.invite({ requestDelegate: d, sessionDescriptionHandlerOptions: { hold: on } as never }));

describe('the call loop through a proxy: widget → Switchboard → PBX queue → Switchboard → agent', function () {
  this.timeout(30000);
  const s = new ProxySuite();

  /** The visitor's call to the queue, and the agent's end of it, both up. */
  async function loopCall(): Promise<{ visitor: Session; agentCall: Invitation }> {
    const agent = await s.agent();
    const visitor = await s.widgetCall();
    const agentCall = await s.answered(agent);
    expect(agentCall.request.getHeader('X-Interaction-Id'), 'the context reached the agent').to.equal('int-42');
    return { visitor, agentCall };
  }

  for (const transport of ['udp', 'tcp'] as const) {
    it(`over ${transport.toUpperCase()}: stays up past 64·T1, carries hold, resume and DTMF through the proxy, and the visitor hangs up`, async function () {
      notOnDrachtio(this, DRACHTIO_DIFFERS.hairpin);
      const w = await s.start({ recordRoute: true, transport, trustProxy: true, widgetDestination: QUEUE });
      const { visitor, agentCall } = await loopCall();
      await expectUpPast64T1(w.h, 2);
      expect(await hold(visitor, true)).to.equal(200);
      expect(await hold(visitor, false)).to.equal(200);
      expect(await requestStatus((d) => visitor.info({
        requestDelegate: d,
        requestOptions: { body: { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: 'Signal=7\r\nDuration=160\r\n' } },
      }))).to.equal(200);
      await visitor.bye();
      await waitForState(agentCall, SessionState.Terminated);
      const invite = w.k.seen().find((x) => x.kind === 'initial' && x.method === 'INVITE');
      expect(invite?.ruri, "INVITE's Request-URI").to.equal(`sip:${QUEUE}@127.0.0.1:${w.k.port}${transport === 'tcp' ? ';transport=tcp' : ''}`);
      expect(w.k.seen().filter((x) => x.kind === 'routed').map((x) => x.method)).to.deep.equal(['ACK', 'INVITE', 'ACK', 'INVITE', 'ACK', 'INFO', 'BYE']);
      expect(unrouted(w.k)).to.deep.equal([]);
    });
  }

  it('the agent hangs up: the BYE goes back through the proxy and ends the visitor leg', async function () {
    notOnDrachtio(this, DRACHTIO_DIFFERS.hairpin);
    const w = await s.start({ recordRoute: true, trustProxy: true, widgetDestination: QUEUE });
    const { visitor, agentCall } = await loopCall();
    await expectUpPast64T1(w.h, 2);
    await agentCall.bye();
    await waitForState(visitor, SessionState.Terminated);
    expect(w.k.seen().filter((x) => x.kind === 'routed').map((x) => x.method)).to.deep.equal(['ACK', 'BYE']);
  });

  it('a PBX call to an extension over TCP through the proxy (two Record-Routes) stays up past 64·T1', async () => {
    const w = await s.start({ recordRoute: true, transport: 'tcp', trustProxy: true });
    const agent = await s.agent();
    const pbx = await s.pbxCalling('uac-pbx-via-proxy-calls-extension-expect-200.xml');
    await s.answered(agent);
    await expectUpPast64T1(w.h, 1);
    sippOk(await pbx.done, 'PBX', w.k);
    expect(w.k.seen().filter((x) => x.kind === 'routed').map((x) => x.method)).to.deep.equal(['ACK', 'BYE']);
  });
});

describe('a proxy that does not record-route, and requests to the trunk', function () {
  this.timeout(30000);
  const s = new ProxySuite();

  it("sends the in-dialog requests of a widget call straight to the PBX's Contact, not to the proxy", async () => {
    const w = await s.start({ recordRoute: false });
    const pbx = await s.pbxBehind('uas-answer.xml');
    const session = await s.widgetCall();
    await expectUpPast64T1(w.h, 1);
    await session.bye();
    sippOk(await pbx.done, 'PBX (expects the ACK and the BYE)', w.k);
    expect(w.k.seen().filter((x) => x.source === `127.0.0.1:${w.sbPort}`).map((x) => `${x.kind} ${x.method}`)).to.deep.equal(['initial INVITE']);
  });

  it("ends a PBX call to an extension with a BYE straight to the PBX's Contact", async () => {
    const w = await s.start({ recordRoute: false, trustProxy: true });
    const agent = await s.agent();
    const pbx = await s.pbxCalling('uac-pbx-via-plain-proxy-calls-extension-bye-received-expect-200.xml');
    const call = await s.answered(agent);
    await expectUpPast64T1(w.h, 1);
    await call.bye();
    sippOk(await pbx.done, 'PBX (expects the BYE)', w.k);
    expect(w.k.seen().filter((x) => x.source === `127.0.0.1:${w.sbPort}`), 'requests from Switchboard the proxy saw').to.deep.equal([]);
    expect(routedFrom(w.k, w.sbPort)).to.deep.equal([]);
  });

  it('carries the whole loop (widget → queue → agent) with in-dialog requests going from Switchboard straight to Switchboard', async function () {
    notOnDrachtio(this, DRACHTIO_DIFFERS.hairpin);
    const w = await s.start({ recordRoute: false, trustProxy: true, widgetDestination: QUEUE });
    const agent = await s.agent();
    const visitor = await s.widgetCall();
    const agentCall = await s.answered(agent);
    await expectUpPast64T1(w.h, 2);
    expect(await hold(visitor, true)).to.equal(200);
    await visitor.bye();
    await waitForState(agentCall, SessionState.Terminated);
    expect(w.k.seen().map((x) => `${x.kind} ${x.method}`), 'what the proxy saw').to.deep.equal(['initial INVITE']);
  });

  for (const transport of ['udp', 'tcp'] as const) {
    it(`addresses OPTIONS and REGISTER to the trunk by its host, port and transport (${transport.toUpperCase()})`, async () => {
      const w = await s.start({ recordRoute: true, transport, agentExtension: { extension: '201', pbxPassword: 'ext-pw' } });
      const trunkUri = `sip:127.0.0.1:${w.k.port}${transport === 'tcp' ? ';transport=tcp' : ''}`;
      expect((await w.h.cc.trunkMonitor.check()).status, 'OPTIONS answered by the proxy itself').to.equal(200);
      await s.agent(); // its REGISTER is accepted only once the PBX accepted the extension's
      const upstream = w.k.seen().filter((x) => x.kind === 'initial').map((x) => `${x.method} ${x.ruri}`);
      expect(upstream).to.deep.equal([`OPTIONS ${trunkUri}`, `REGISTER ${trunkUri}`]);
    });
  }
});
