// The rating mail of callbacks and mail tickets: when one an agent handled closes on a website that
// asks for ratings (a callback: once its call reached the customer, see callback-rating.test.ts),
// the customer gets a mail whose link (interaction + 256-bit token, only its hash
// kept) opens a small form; the rating is stored like the widget's, once, and shows in History and
// the reports. Every bad input on the form's route gets a clear page and stores nothing.
import { expect } from 'chai';
import { api, createInteraction, login, makeAgent, nextOffer, accept, setState, startRoutingServer, type TestAgent, type TestServer } from '../../test/routing.js';
import { inviteToRate } from './invite.js';
import { widget } from '../../test/chat.js';
import { eventually } from '../../test/redis.js';
import { OutgoingMail } from '../mail/outgoing-mail.entity.js';
import { InteractionEvent } from '../journey/index.js';
import { Interaction } from '../interactions/index.js';
import { CsatRating } from './csat-rating.entity.js';

const XSS = '<img src=x onerror="window.__pwned=1">';

describe('feedback: the rating mail of callbacks and mail tickets', () => {
  let t: TestServer;
  let admin: string;
  let agent: TestAgent;

  before(async () => {
    t = await startRoutingServer({ 'websites/example.yaml:csat': { enabled: true }, 'websites/example.yaml:look.language': 'it' });
    admin = await login(t.url);
    agent = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 8 }] });
  });
  after(async () => {
    agent?.socket.close();
    await t?.stop();
  });

  const db = () => t.sb.kernel.db;
  /** Takes the next offer and closes it as the agent. */
  const handle = async (interactionId?: string) => {
    const o = await nextOffer(agent, 15_000);
    if (interactionId) expect(o.interactionId).to.equal(interactionId);
    expect((await accept(t.url, agent, o.offerId)).status).to.equal(200);
    const closed = await api(t.url, 'POST', `/api/interactions/${o.interactionId}/close`, {}, agent.token);
    expect(closed.status, JSON.stringify(closed.body)).to.equal(200);
    return o.interactionId;
  };
  const ratingMail = (interactionId: string) =>
    eventually(() => db().getRepository(OutgoingMail).findBy({ interactionId, kind: 'csat' }), (rows) => rows.length === 1, 150).then((rows) => rows[0]!);
  const linkIn = (text: string) => {
    const m = /(https?:\/\/\S+\/rate\/([0-9a-f]{32})\/([A-Za-z0-9_-]{43})\?lang=(\w+))/.exec(text);
    expect(m, text).to.not.equal(null);
    return { url: m![1]!, interactionId: m![2]!, token: m![3]!, lang: m![4]! };
  };
  const get = async (path: string, headers: Record<string, string> = {}) => {
    const r = await fetch(`${t.url}${path}`, { headers });
    return { status: r.status, html: await r.text(), type: r.headers.get('content-type'), csp: r.headers.get('content-security-policy') };
  };
  const post = async (path: string, form: string) => {
    const r = await fetch(`${t.url}${path}`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded', origin: t.url } });
    return { status: r.status, html: await r.text() };
  };
  const code = (html: string) => /data-code="([a-z_]+)"/.exec(html)?.[1];

  it('mails a closed mail ticket a rating link in the website’s language; the form rates it once, and History and the reports show it', async () => {
    const customer = `rate-${Date.now()}@example.com`;
    const asked = await widget(t.url, 'POST', '/mail', { fields: { email: customer, subject: 'Order 42', body: 'Where is it?' } });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
    const id = await handle();
    const mail = await ratingMail(id);
    expect(mail.toAddress).to.equal(customer);
    expect(mail.subject).to.equal('Come siamo andati? – Example shop');
    const link = linkIn(mail.text);
    expect(link).to.include({ interactionId: id, lang: 'it' });
    const path = new URL(link.url).pathname + new URL(link.url).search;
    // Only the token's hash is kept.
    const invited = await db().getRepository(InteractionEvent).findBy({ interactionId: id, type: 'csat.invited' });
    expect(invited).to.have.length(1);
    expect(JSON.stringify(invited[0]!.data)).to.not.include(link.token);

    const form = await get(path);
    expect(form.status).to.equal(200);
    expect(code(form.html)).to.equal('form');
    expect(form.type).to.match(/^text\/html/);
    expect(form.csp).to.include("default-src 'none'");
    expect(form.html).to.include('<html lang="it">');
    expect(form.html.match(/type="radio" name="rating"/g)).to.have.length(5);
    expect((await get(path.replace('lang=it', 'lang=fr'))).html).to.include('Êtes-vous satisfait');
    expect((await get(path.replace('?lang=it', ''), { 'accept-language': 'en' })).html).to.include('How satisfied');

    const rated = await post(path, `rating=4&comment=${encodeURIComponent(`  ${XSS} fast  `)}`);
    expect(rated.status, rated.html).to.equal(201);
    expect(code(rated.html)).to.equal('rated');
    const rows = await db().getRepository(CsatRating).findBy({ interactionId: id });
    expect(rows.map((r) => [r.rating, r.comment, r.channel, r.agentId])).to.deep.equal([[4, `${XSS} fast`, 'mail', agent.id]]);
    const journey = await db().getRepository(InteractionEvent).findBy({ interactionId: id, type: 'csat.rated' });
    expect(journey.map((e) => e.data)).to.deep.equal([{ rating: 4, comment: `${XSS} fast` }]);

    // Once: a second rating changes nothing.
    const again = await post(path, 'rating=1');
    expect([again.status, code(again.html)]).to.deep.equal([409, 'already_rated']);
    expect(code((await get(path)).html)).to.equal('already_rated');
    expect((await db().getRepository(CsatRating).findOneByOrFail({ interactionId: id })).rating).to.equal(4);

    const record = await api(t.url, 'GET', `/api/history/interactions/${id}`, undefined, admin);
    expect(record.body.interaction.csat).to.include({ rating: 4, comment: `${XSS} fast` });
    expect(record.body.journey.map((e: { type: string }) => e.type)).to.include.members(['csat.invited', 'csat.rated']);
    // The day it was queued (the report's period is of queue times), not today: midnight may have passed since.
    const day = (await db().getRepository(Interaction).findOneByOrFail({ id })).queuedAt!.toISOString().slice(0, 10);
    // This agent's mail (the run's database is shared with the other test files).
    const report = await api(t.url, 'GET', `/api/reports/interactions?from=${day}&to=${day}&channel=mail&agent=${agent.id}`, undefined, admin);
    expect(report.body.total).to.include({ rated: 1, csatAvg: 4, csatSatisfied: 1 });
  });

  it('asks nothing of a callback an agent closed without its call reaching the customer', async () => {
    const contact = await api(t.url, 'POST', '/api/contacts', { name: 'Carla', email: `carla-${Date.now()}@example.com`, phone: '+390612345678' }, admin);
    expect(contact.status, JSON.stringify(contact.body)).to.equal(201);
    const made = await createInteraction(t.url, admin, { channel: 'callback', queueId: 'callbacks', websiteId: 'example', contactId: contact.body.contact.id });
    const id = await handle(made.interaction.id);
    expect((await db().getRepository(Interaction).findOneByOrFail({ id })).assignedAgentId).to.equal(agent.id);
    const deps = { db: db(), config: () => t.config, clock: t.sb.kernel.clock, log: t.sb.kernel.log, mailer: { queue: async () => expect.fail('no mail expected') }, routing: { journey: async () => expect.fail('no journey step expected') } };
    expect(await inviteToRate(deps, id)).to.equal(false);
  });

  it('refuses garbage on the form’s route with a page that says what is wrong, and stores nothing', async () => {
    const asked = await widget(t.url, 'POST', '/mail', { fields: { email: `garbage-${Date.now()}@example.com`, subject: 'Lamp', body: 'Broken.' } });
    expect(asked.status).to.equal(201);
    const id = await handle();
    const link = linkIn((await ratingMail(id)).text);
    const path = `/rate/${id}/${link.token}?lang=en`;
    const other = `${link.token.slice(0, -1)}${link.token.endsWith('A') ? 'B' : 'A'}`;
    for (const [p, status, c] of [
      [`/rate/${id}/short`, 400, 'bad_request'],
      [`/rate/${id}/${link.token}x`, 400, 'bad_request'],
      [`/rate/NOT-AN-ID/${link.token}`, 400, 'bad_request'],
      [`/rate/${id}/${other}`, 404, 'not_found'],
      [`/rate/${'0'.repeat(32)}/${link.token}`, 404, 'not_found'],
    ] as const) {
      const g = await get(p);
      expect([g.status, code(g.html)], p).to.deep.equal([status, c]);
      const r = await post(p, 'rating=5');
      expect([r.status, code(r.html)], p).to.deep.equal([status, c]);
    }
    for (const form of ['rating=0', 'rating=6', 'rating=x', 'rating=4.5', 'rating=', '', 'rating=%00', `comment=${encodeURIComponent(XSS)}`]) {
      const r = await post(path, form);
      expect([r.status, code(r.html)], form).to.deep.equal([400, 'invalid_rating']);
      expect(r.html, form).to.include('Choose a rating from 1 to 5.');
      expect(r.html, form).to.not.include('<img src=x');
    }
    const long = await post(path, `rating=3&comment=${'é'.repeat(1001)}`);
    expect([long.status, code(long.html)]).to.deep.equal([400, 'comment_too_long']);
    expect(long.html).to.include('at most 1000 characters');
    const huge = await post(path, `rating=3&comment=${'x'.repeat(20_000)}`);
    expect([huge.status, code(huge.html)]).to.deep.equal([413, 'too_large']);
    // A form from another site is refused before anything is read.
    const foreign = await fetch(`${t.url}${path}`, { method: 'POST', body: 'rating=5', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' } });
    expect(foreign.status).to.equal(403);
    expect(await db().getRepository(CsatRating).countBy({ interactionId: id })).to.equal(0);
    // Exactly 1000 characters is fine.
    const ok = await post(path, `rating=2&comment=${'é'.repeat(1000)}`);
    expect(ok.status, ok.html).to.equal(201);
  });

  it('asks nothing of a ticket nobody handled, nor on a website that does not ask for ratings', async () => {
    const deps = { db: db(), config: () => t.config, clock: t.sb.kernel.clock, log: t.sb.kernel.log, mailer: { queue: async () => expect.fail('no mail expected') }, routing: { journey: async () => expect.fail('no journey step expected') } };
    // A ticket withdrawn while it waited (nobody was available): nobody handled it.
    await setState(t.url, agent, 'not-ready', 'break');
    try {
      const waiting = await createInteraction(t.url, admin, { channel: 'mail', queueId: 'mail', websiteId: 'example' });
      expect((await api(t.url, 'POST', `/api/routing/interactions/${waiting.interaction.id}/cancel`, undefined, admin)).status).to.equal(200);
      expect(await inviteToRate(deps, waiting.interaction.id)).to.equal(false);
    } finally {
      await setState(t.url, agent, 'available');
    }
    // A handled ticket, once the website no longer asks for ratings.
    expect((await widget(t.url, 'POST', '/mail', { fields: { email: `off-${Date.now()}@example.com`, subject: 'Off', body: 'Later.' } })).status).to.equal(201);
    const handled = await handle();
    await ratingMail(handled);
    const off = { ...t.config, websites: t.config.websites.map((w) => ({ ...w, csat: { enabled: false } })) };
    expect(await inviteToRate({ ...deps, config: () => off }, handled)).to.equal(false);
    expect(await db().getRepository(InteractionEvent).countBy({ interactionId: handled, type: 'csat.invited' })).to.equal(1);
  });
});
