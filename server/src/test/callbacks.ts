// Callback dialling tests share this stage: a sipp "PBX" behind the trunk as the customer's
// phone (leg B), an agent whose sip.js softphone auto-answers (leg A), and their desktop socket.
import { expect } from 'chai';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Callback } from '../modules/callbacks/callback.entity.js';
import { CallbackAttempt } from '../modules/callbacks/attempt.entity.js';
import { api, login, nextOffer, accept, setState, startRoutingServer, openDesktop, type TestServer } from './routing.js';
import { softphone, type Softphone } from '../../../sip/dist/test/support/softphone.js';
import { freePort, sipp, waitForUdpListener } from '../../../sip/dist/test/support/services.js';
import { startKamailio, type Kamailio } from '../../../sip/dist/test/support/kamailio.js';
import type { Clock } from '../kernel/clock.js';

export interface DialStage {
  t: TestServer;
  pbx: ReturnType<typeof sipp>;
  trace: string;
  phone: Softphone;
  agent: { id: string; token: string; socket: Awaited<ReturnType<typeof openDesktop>> };
}

/** `clock`: the server's, when the test moves time itself (a slot's start, its end). */
export async function dialStage(scenario: string, calls: number, extra: Record<string, unknown> = {}, clock?: Clock): Promise<DialStage> {
  const port = await freePort();
  const trace = path.join(mkdtempSync(path.join(os.tmpdir(), 'sb-cb-sipp-')), 'pbx.log');
  const pbx = sipp({ scenario, port, calls, timeoutS: 120, extra: ['-trace_msg', '-message_file', trace] });
  await waitForUdpListener(port, pbx);
  const t = await startRoutingServer({
    'switchboard.yaml:sip.enabled': true,
    'trunks.yaml:trunks.0.port': port,
    'trunks.yaml:trunks.0.optionsPingSeconds': 0,
    'trunks.yaml:trunks.0.dialPlan': { countryCode: '39', outsideLinePrefix: '0' },
    ...extra,
  }, clock ? { clock } : {});
  const admin = await login(t.url);
  const username = `cb-${Math.random().toString(16).slice(2, 10)}`;
  // Extensions are unique among agents, and the test database outlives one test.
  const extension = String(200000 + Math.floor(Math.random() * 799999));
  const made = await api(t.url, 'POST', '/api/agents', { username, name: 'Callback Agent', role: 'agent', password: 'callback-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
  expect(made.status, JSON.stringify(made.body)).to.equal(201);
  const token = await login(t.url, username, 'callback-password-1');
  const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, token)).body;
  const phone = await softphone({ wsPort: Number(new URL(cred.wsUrl).port), username: cred.username, password: cred.password, user: extension, autoAnswer: true });
  expect(await phone.register()).to.equal(200);
  const socket = await openDesktop(t.url, token);
  const agent = { id: made.body.agent.id as string, token, socket };
  await setState(t.url, agent, 'available');
  return { t, pbx, trace, phone, agent };
}

export async function closeStage(x: DialStage | undefined): Promise<void> {
  x?.agent.socket.close();
  await x?.phone.stop();
  x?.pbx.kill();
  await x?.t.stop();
}

export const attemptsOf = (t: TestServer, callbackId: string) => t.sb.kernel.db.getRepository(CallbackAttempt).find({ where: { callbackId }, order: { attempt: 'ASC' } });
export const callbackOf = (t: TestServer, id: string) => t.sb.kernel.db.getRepository(Callback).findOneByOrFail({ id });

/** The agent takes the next offer, a callback. */
export async function takeOffer(x: Pick<DialStage, 't' | 'agent'>): Promise<string> {
  const offer = await nextOffer({ ...x.agent, username: '' }, 20_000);
  expect(offer.channel).to.equal('callback');
  const r = await accept(x.t.url, { ...x.agent, username: '' }, offer.offerId);
  expect(r.status, JSON.stringify(r.body)).to.equal(200);
  return offer.interactionId;
}

/**
 * A record-routing Kamailio in front of the PBX, as in the field: the agent's `extension` goes to
 * the phone on `agentPort`, an outside number (the dial plan's leading 0) to the customer's on
 * `customerPort`.
 */
export function kamailioFront(extension: string, agentPort: number, customerPort: number): Promise<Kamailio> {
  return startKamailio({
    recordRoute: true,
    routes: [
      { user: `^${extension}$`, to: `sip:$rU@127.0.0.1:${agentPort}` },
      { user: '^0[0-9]+$', to: `sip:$rU@127.0.0.1:${customerPort}` },
    ],
  });
}

/**
 * A second agent whose softphone rings without answering, available: the test answers for it
 * (`phone.incoming[n].reject(...)`). `stop` logs it off.
 */
export async function ringingAgent(t: TestServer) {
  const admin = await login(t.url);
  const extension = String(200000 + Math.floor(Math.random() * 799999));
  const username = `cbr-${extension}`;
  const made = await api(t.url, 'POST', '/api/agents', { username, name: 'Refusing Agent', role: 'agent', password: 'callback-password-1', extension, capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 } }, admin);
  expect(made.status, JSON.stringify(made.body)).to.equal(201);
  const token = await login(t.url, username, 'callback-password-1');
  const cred = (await api(t.url, 'GET', '/api/sip/credentials', undefined, token)).body;
  const phone = await softphone({ wsPort: Number(new URL(cred.wsUrl).port), username: cred.username, password: cred.password, user: extension });
  let socket: Awaited<ReturnType<typeof openDesktop>> | undefined;
  const stop = async () => {
    socket?.close();
    await phone.stop();
  };
  try {
    expect(await phone.register()).to.equal(200);
    socket = await openDesktop(t.url, token);
    const agent = { id: made.body.agent.id as string, token, username, socket };
    await setState(t.url, agent, 'available');
    return { agent, phone, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
