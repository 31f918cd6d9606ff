// Nothing lost: a line is stored before it is acknowledged, so neither a server killed with -9 nor
// an XMPP server that restarts mid-chat loses or duplicates one. The server process and Prosody
// used here are private to this file, so other tests never see them die.
import { expect } from 'chai';
import { Message } from './message.entity.js';
import { makeConfigDir } from '../../test/config.js';
import { api, login, spawnServer, startTestServer, type TestServer } from '../../test/server.js';
import { eventually } from '../../test/redis.js';
import { accept, makeAgent, nextOffer, openDesktop, openQueues, uniquePrefix, type TestAgent } from '../../test/routing.js';
import { ScratchProsody } from '../../test/scratch-prosody.js';
import { ManualClock } from '../../test/clock.js';
import { cid, command, openVisitor, startChat, takeChat, widget, type TestVisitor } from '../../test/chat.js';
import type { TestSocket } from '../../test/server.js';

const english = [{ skill: 'english', level: 8 }];

async function resubscribe(url: string, v: TestVisitor): Promise<{ socket: TestSocket; messages: { id: string; body: string }[] }> {
  const socket = await openVisitor(url);
  const sub = await command(socket, { type: 'chat.subscribe', interactionId: v.interactionId, token: v.token });
  expect(sub.type, JSON.stringify(sub)).to.equal('chat.subscribed');
  return { socket, messages: sub.messages };
}

describe('chat: nothing lost', function () {
  // Two server starts, or a Prosody restart and the reconnection backoff.
  this.timeout(120_000);

  it('keeps the whole history and goes on after the server is killed with -9 mid-chat', async () => {
    const configDir = makeConfigDir({ redisPrefix: uniquePrefix(), set: openQueues() });
    let server = await spawnServer(configDir);
    try {
      const admin = await login(server.url);
      const a = await makeAgent(server.url, admin, { skills: english });
      const v = await startChat(server.url);
      await takeChat(server.url, a, v);
      const sent: string[] = [];
      let lastCid = '';
      for (let k = 0; k < 5; k++) {
        lastCid = cid();
        const ack = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: lastCid, body: `before ${k}` });
        sent.push(ack.message.id);
        const reply = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: `reply ${k}` });
        sent.push(reply.message.id);
      }
      await a.socket.next((m) => m.type === 'chat.message' && m.message.id === sent[8]);
      // A line acknowledged a moment before the crash, possibly never relayed.
      const last = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'just before the crash' });
      sent.push(last.message.id);
      server.proc.kill('SIGKILL');
      await new Promise((r) => server.proc.once('exit', r));

      server = await spawnServer(configDir);
      const desk = await openDesktop(server.url, a.token);
      const agent: TestAgent = { ...a, socket: desk };
      const { socket, messages } = await resubscribe(server.url, v);
      const lines = messages.filter((m) => !['bot', 'system'].includes((m as { authorKind?: string }).authorKind ?? ''));
      expect(lines.map((m) => m.id)).to.deep.equal(sent);
      // The line that may not have been relayed before the crash reaches the agent now.
      const hist = await eventually(() => api(server.url, 'GET', `/api/chats/${v.interactionId}/messages`, undefined, a.token), (r) => r.body.messages.every((m: { deliveryState: string }) => m.deliveryState !== 'stored'));
      expect(hist.body.messages.filter((m: { authorKind: string }) => m.authorKind === 'visitor')).to.have.length(6);
      // A retry of a line acknowledged before the crash is not stored again.
      const retry = await command(socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: lastCid, body: 'before 4' });
      expect(retry.message.id).to.equal(sent[8]);
      // And the chat goes on, both ways.
      const after = await command(socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'after the crash' });
      expect((await agent.socket.next((m) => m.type === 'chat.message' && m.message.id === after.message.id, 10000)).message.body).to.equal('after the crash');
      const answer = await command(agent.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'still here' });
      await socket.next((m) => m.type === 'chat.message' && m.message.id === answer.message.id, 10000);
      const total = await widget(server.url, 'GET', `/chats/${v.interactionId}`, undefined, v.token);
      const ids = total.body.messages.map((m: { id: string }) => m.id);
      expect(new Set(ids).size).to.equal(ids.length);
      await command(agent.socket, { type: 'interaction.close', interactionId: v.interactionId });
      socket.close();
      desk.close();
    } finally {
      await server.stop();
    }
  });

  it('recovers when Prosody restarts mid-chat: lines sent meanwhile arrive once each, in order', async () => {
    const base = makeConfigDir();
    const prosody = await ScratchProsody.create((await import('../../kernel/config/load.js')).loadConfig(base).main.xmpp);
    await prosody.start();
    let t: TestServer | undefined;
    try {
      // The server's clock stands still until the test moves it past the resend delay.
      const clock = new ManualClock(new Date());
      t = await startTestServer({ redisPrefix: uniquePrefix(), set: openQueues(prosody.settings), clock });
      const url = t.url;
      await eventually(async () => t!.sb.contexts.xmpp.status().ok, (ok) => ok);
      const admin = await login(url);
      const a = await makeAgent(url, admin, { skills: english });
      const v = await startChat(url);
      const o = await nextOffer(a);
      expect((await accept(url, a, o.offerId)).status).to.equal(200);
      const first = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'first' });
      await a.socket.next((m) => m.type === 'chat.message' && m.message.id === first.message.id);

      await prosody.stop();
      await eventually(async () => t!.sb.contexts.xmpp.status().ok, (ok) => !ok);
      // While XMPP is down, lines are still acknowledged: they are in MySQL.
      const during: string[] = [];
      for (const body of ['during 1', 'during 2', 'during 3']) {
        const ack = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body });
        expect(ack.message.deliveryState).to.equal('stored');
        during.push(ack.message.id);
      }
      const fromAgent = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'agent during' });

      await prosody.start();
      const got = await Promise.all(during.map((id) => a.socket.next((m) => m.type === 'chat.message' && m.message.id === id, 15000)));
      expect(got.map((m) => m.message.body)).to.deep.equal(['during 1', 'during 2', 'during 3']);
      await v.socket.next((m) => m.type === 'chat.message' && m.message.id === fromAgent.message.id, 15000);
      // The room works again for new lines, and nothing was delivered twice.
      const after = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'after' });
      await a.socket.next((m) => m.type === 'chat.message' && m.message.id === after.message.id, 10000);
      // A duplicate is a line resent after it was relayed. The server's clock moves a minute on,
      // past the resend delay and the age of an orphan line, and the lines' claims in Redis go as
      // they would by then; once a run of the
      // resend sweep that began after that has ended, and every run before it, whatever it would
      // resend has gone out. A line more from each side comes after those copies on the same
      // connection: once both are through, a duplicate has come.
      const lifecycle = t.sb.contexts.chat.lifecycle;
      const flush = lifecycle.flushPending.bind(lifecycle);
      let started = 0;
      const ended = new Set<number>();
      lifecycle.flushPending = async (...args: Parameters<typeof flush>) => {
        const n = ++started;
        try {
          return await flush(...args);
        } finally {
          ended.add(n);
        }
      };
      clock.at(60);
      const redis = t.sb.kernel.redis;
      const claims = await redis.client.keys(redis.key('chat', 'resend', '*'));
      if (claims.length) await redis.client.del(...claims);
      const from = started;
      await eventually(async () => ended, (e) => Array.from({ length: from + 1 }, (_, k) => k + 1).every((n) => e.has(n)));
      const vEnd = await command(v.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'last' });
      const aEnd = await command(a.socket, { type: 'chat.send', interactionId: v.interactionId, clientMessageId: cid(), body: 'agent last' });
      await a.socket.next((m) => m.type === 'chat.message' && m.message.id === vEnd.message.id, 10000);
      await v.socket.next((m) => m.type === 'chat.message' && m.message.id === aEnd.message.id, 10000);
      // Each socket got each line once: the agent's copies were taken above, the visitor's own
      // lines come back to its page exactly once.
      const isLine = (m: { type: string; message?: { id: string } }, ids: string[]) => m.type === 'chat.message' && ids.includes(m.message!.id);
      expect(a.socket.messages.filter((m) => isLine(m, [...during, after.message.id])), 'no line delivered twice to the agent').to.deep.equal([]);
      expect(v.socket.messages.filter((m) => isLine(m, [fromAgent.message.id])), 'no line delivered twice to the visitor').to.deep.equal([]);
      for (const id of [...during, after.message.id]) expect(v.socket.messages.filter((m) => isLine(m, [id])), id).to.have.length(1);
      const rows = await t.sb.kernel.db.getRepository(Message).findBy({ interactionId: v.interactionId });
      expect(rows.filter((m) => m.authorKind === 'visitor').map((m) => m.body).sort()).to.deep.equal(['after', 'during 1', 'during 2', 'during 3', 'first', 'last']);
      expect(rows.every((m) => m.deliveryState !== 'stored')).to.equal(true);
      await command(a.socket, { type: 'interaction.close', interactionId: v.interactionId });
      v.socket.close();
    } finally {
      await t?.stop();
      await prosody.stop();
    }
  });
});
