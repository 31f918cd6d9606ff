// Helpers for the chat tests: a server whose queues are always open, visitors that start chats
// through the widget API from an allowed origin, and their sockets.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { type client, xml, type XmlElement, type XmppClient } from '@xmpp/client';
import path from 'node:path';
import { projectCertDir, readCertificate, starttlsClient } from '../modules/chat/xmpp-tls-client.js';
import { api, TestSocket } from './server.js';
import { accept, nextOffer, startRoutingServer, type TestAgent, type TestServer } from './routing.js';
import { eventually } from './redis.js';

/** A server whose queues are always open, once its XMPP session is up (it connects in the background). */
export async function startChatServer(extra: Record<string, unknown> = {}, opts: Parameters<typeof startRoutingServer>[1] = {}): Promise<TestServer> {
  const t = await startRoutingServer(extra, opts);
  await eventually(async () => t.sb.contexts.xmpp.status().ok, (ok) => ok);
  return t;
}

export const ORIGIN = 'http://127.0.0.1:8081';
export const WEBSITE = 'example';

export function widget(url: string, method: string, path: string, body?: unknown, token?: string, origin = ORIGIN) {
  return api(url, method, `/api/widget/${WEBSITE}${path}`, body, token, { origin });
}

export const FORM = { name: 'Ada Visitor', email: 'ada@example.com', topic: 'order', privacy: true };

export interface TestVisitor {
  interactionId: string;
  token: string;
  socket: TestSocket;
  /** The answer to POST /chats (untyped JSON, as the widget gets it). */
  start: Awaited<ReturnType<typeof api>>['body'];
  subscribed: Awaited<ReturnType<TestSocket['next']>>;
}

/** Starts a chat through the widget API and follows it on a widget socket. */
export async function startChat(url: string, body: Record<string, unknown> = { fields: FORM, option: 'orders' }): Promise<TestVisitor> {
  const r = await widget(url, 'POST', '/chats', body);
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  const socket = await openVisitor(url);
  socket.send({ type: 'chat.subscribe', interactionId: r.body.interactionId, token: r.body.token, ref: 'sub' });
  const sub = await socket.next((m) => m.ref === 'sub');
  expect(sub.type, JSON.stringify(sub)).to.equal('chat.subscribed');
  return { interactionId: r.body.interactionId, token: r.body.token, socket, start: r.body, subscribed: sub };
}

export async function openVisitor(url: string, origin = ORIGIN): Promise<TestSocket> {
  const s = await TestSocket.open(`${url.replace('http', 'ws')}/ws/widget?website=${WEBSITE}`, { origin });
  await s.next((m) => m.type === 'hello');
  return s;
}

/** The agent takes the next offer; resolves once the visitor saw the agent join. */
export async function takeChat(url: string, a: TestAgent, v: TestVisitor): Promise<void> {
  const o = await nextOffer(a);
  expect(o.interactionId).to.equal(v.interactionId);
  expect((await accept(url, a, o.offerId)).status).to.equal(200);
  await v.socket.next((m) => m.type === 'chat.message' && m.message.authorKind === 'system' && /joined/.test(m.message.body));
}

export const cid = () => randomBytes(8).toString('hex');

let refs = 0;
/** Sends a command and waits for its answer (matched by ref). */
export async function command(socket: TestSocket, cmd: Record<string, unknown>, timeoutMs = 15_000): ReturnType<TestSocket['next']> {
  const ref = `r${++refs}`;
  socket.send({ ...cmd, ref });
  return socket.next((m) => m.ref === ref, timeoutMs);
}

/** An agent's own XMPP client (@xmpp/client), logged in with the account the server provisioned. */
export class TestXmppClient {
  readonly stanzas: XmlElement[] = [];
  private waiters: { pred: (s: XmlElement) => boolean; resolve: (s: XmlElement) => void }[] = [];

  private constructor(readonly xmpp: XmppClient, readonly jid: string) {
    xmpp.on('stanza', (s: XmlElement) => {
      this.stanzas.push(s);
      const w = this.waiters.find((x) => x.pred(s));
      if (w) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve(s);
      }
    });
    xmpp.on('error', () => undefined);
  }

  /** Logs in over STARTTLS (as the account answer says), trusting `ca`: the project's certificate unless given. */
  static async login(account: { jid: string; password: string; host: string; port: number; tls: string }, ca?: string): Promise<TestXmppClient> {
    const [local, domain] = account.jid.split('@') as [string, string];
    ca ??= readCertificate(path.join(projectCertDir(), `${domain}.crt`));
    expect(account.tls).to.equal('starttls');
    // PLAIN inside TLS: @xmpp/client's SCRAM is seconds of pure-JavaScript PBKDF2.
    const credentials = async (auth: (c: { username: string; password: string }, m: string) => Promise<void>) => auth({ username: local, password: account.password }, 'PLAIN');
    const xmpp = starttlsClient({ service: `xmpp://${account.host}:${account.port}`, domain, username: local, password: account.password, resource: `test-${randomBytes(3).toString('hex')}`, credentials } as Parameters<typeof client>[0], ca);
    const c = new TestXmppClient(xmpp, account.jid);
    try {
      await xmpp.start();
    } catch (err) {
      // A refused login must not go on reconnecting behind the test's back.
      await c.stop();
      throw err;
    }
    await xmpp.send(xml('presence'));
    return c;
  }

  /** The first stanza (already received or to come) matching pred. */
  next(pred: (s: XmlElement) => boolean, timeoutMs = 15_000): Promise<XmlElement> {
    const had = this.stanzas.find(pred);
    if (had) return Promise.resolve(had);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no matching stanza within ${timeoutMs} ms; last: ${this.stanzas.slice(-3).map(String).join('\n')}`)), timeoutMs);
      this.waiters.push({ pred, resolve: (s) => (clearTimeout(t), resolve(s)) });
    });
  }

  async stop(): Promise<void> {
    await Promise.race([this.xmpp.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
}
