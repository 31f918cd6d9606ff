// Customer satisfaction: the visitor rates a chat 1–5 (with a comment if they like) once it has
// ended, with the chat's own token, on websites that ask for it. The rating is stored once, is a
// journey entry, and History shows it; anything else is refused with a clear error and stores
// nothing.
import { expect } from 'chai';
import { api, login, makeAgent, type TestAgent, type TestServer } from '../../test/routing.js';
import { startChat, startChatServer, takeChat, widget, type TestVisitor } from '../../test/chat.js';
import { InteractionEvent } from '../journey/index.js';
import { CsatRating } from './csat-rating.entity.js';

describe('CSAT: the visitor rates a chat at its end', function () {
  this.timeout(120_000);
  let t: TestServer;
  let admin: string;
  let a: TestAgent;
  before(async () => {
    t = await startChatServer({ 'websites/example.yaml:csat': { enabled: true } });
    admin = await login(t.url);
    a = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 8 }], capacity: { chat: 10, total: 10 } });
  });
  after(async () => {
    a?.socket.close();
    await t?.stop();
  });

  async function endedChat(): Promise<TestVisitor> {
    const v = await startChat(t.url);
    await takeChat(t.url, a, v);
    expect((await widget(t.url, 'POST', `/chats/${v.interactionId}/end`, undefined, v.token)).status).to.be.oneOf([200, 204]);
    v.socket.close();
    return v;
  }
  const rate = (v: { interactionId: string; token: string }, body: unknown) => widget(t.url, 'POST', `/chats/${v.interactionId}/rating`, body, v.token);
  const stored = (id: string) => t.sb.kernel.db.getRepository(CsatRating).findBy({ interactionId: id });

  it('stores the rating once, in the journey and in History, and the widget config says to ask', async () => {
    const config = await widget(t.url, 'GET', '/config');
    expect(config.body.csat).to.equal(true);
    const v = await endedChat();
    const r = await rate(v, { rating: 4, comment: '  Quick and kind.  ' });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.csat).to.include({ rating: 4, comment: 'Quick and kind.' });
    const [row] = await stored(v.interactionId);
    expect(row).to.include({ rating: 4, comment: 'Quick and kind.', agentId: a.id, websiteId: 'example', channel: 'chat', queueId: 'support-chat' });

    const again = await rate(v, { rating: 1 });
    expect(again.status).to.equal(409);
    expect(again.body.error.code).to.equal('already_rated');
    expect(await stored(v.interactionId)).to.have.length(1);

    const journey = await t.sb.kernel.db.getRepository(InteractionEvent).findBy({ interactionId: v.interactionId, type: 'csat.rated' });
    expect(journey.map((e) => e.data)).to.deep.equal([{ rating: 4, comment: 'Quick and kind.' }]);
    const record = await api(t.url, 'GET', `/api/history/interactions/${v.interactionId}`, undefined, a.token);
    expect(record.status).to.equal(200);
    expect(record.body.interaction.csat).to.include({ rating: 4, comment: 'Quick and kind.' });
    expect(record.body.journey.map((e: { type: string }) => e.type)).to.include('csat.rated');
    const list = await api(t.url, 'GET', `/api/history/interactions?q=${v.interactionId}`, undefined, admin);
    expect(list.body.items[0].csat).to.include({ rating: 4 });
  });

  it('refuses garbage ratings, a running chat, another visitor’s chat and a wrong token, storing nothing', async () => {
    const v = await endedChat();
    const cases: [unknown, string][] = [
      [{ rating: 0 }, 'rating'],
      [{ rating: 6 }, 'rating'],
      [{ rating: 3.5 }, 'rating'],
      [{ rating: '5' }, 'rating'],
      [{ rating: -1 }, 'rating'],
      [{}, 'rating'],
      [{ rating: 5, comment: 'x'.repeat(10 * 1024) }, 'comment'],
      [{ rating: 5, comment: 42 }, 'comment'],
      [{ rating: 5, agentId: a.id }, 'agentId'],
    ];
    for (const [body, field] of cases) {
      const r = await rate(v, body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(JSON.stringify(r.body.error.fields), JSON.stringify(r.body)).to.contain(field);
    }
    expect((await widget(t.url, 'POST', `/chats/${v.interactionId}/rating`, 'five')).status).to.equal(400);

    // Another visitor's token on this chat, this visitor's token on theirs, no token, a made-up id.
    const other = await endedChat();
    expect((await rate({ interactionId: v.interactionId, token: other.token }, { rating: 1 })).status).to.equal(403);
    expect((await rate({ interactionId: other.interactionId, token: v.token }, { rating: 1 })).status).to.equal(403);
    expect((await widget(t.url, 'POST', `/chats/${v.interactionId}/rating`, { rating: 1 })).status).to.equal(401);
    expect((await rate({ interactionId: 'f'.repeat(32), token: v.token }, { rating: 1 })).status).to.equal(403);
    expect((await rate({ interactionId: '..%2f..%2fx', token: v.token }, { rating: 1 })).status).to.equal(403);
    // From a page that is not the website's.
    expect((await widget(t.url, 'POST', `/chats/${v.interactionId}/rating`, { rating: 5 }, v.token, 'https://evil.example')).status).to.equal(403);

    // A chat still running is rated at its end, not before.
    const running = await startChat(t.url);
    try {
      const r = await rate(running, { rating: 5 });
      expect(r.status).to.equal(409);
      expect(r.body.error.code).to.equal('chat_open');
    } finally {
      running.socket.close();
    }
    for (const id of [v.interactionId, other.interactionId, running.interactionId]) expect(await stored(id)).to.deep.equal([]);
  });

  it('refuses a rating on a website that does not ask for them', async () => {
    const off = await startChatServer({ 'websites/example.yaml:csat': { enabled: false } });
    try {
      const cfg = await widget(off.url, 'GET', '/config');
      expect(cfg.body.csat).to.equal(false);
      const r = await widget(off.url, 'POST', '/chats', { fields: { name: 'N', email: 'n@example.com', topic: 'order', privacy: true }, option: 'orders' });
      expect(r.status).to.equal(201);
      await widget(off.url, 'POST', `/chats/${r.body.interactionId}/end`, undefined, r.body.token);
      const rated = await widget(off.url, 'POST', `/chats/${r.body.interactionId}/rating`, { rating: 5 }, r.body.token);
      expect(rated.status).to.equal(403);
      expect(rated.body.error.code).to.equal('csat_disabled');
    } finally {
      await off.stop();
    }
  });
});
