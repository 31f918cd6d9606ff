// An offer shows the customer's journey (issue #17) to the agent it is out to, before they accept:
// the contacts policy would not show it to an agent who never handled the contact, so the offer
// itself is what opens it, only while it is pending and only to its agent.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { newId } from '../../kernel/db/ids.js';
import { accept, api, createInteraction, login, makeAgent, nextOffer, startRoutingServer, QUEUE, type TestAgent, type TestServer } from '../../test/routing.js';

const CHAT_ONLY = { phone: 0, video: 0, chat: 3, callback: 0, mail: 0, total: 3 };

describe("an offer's journey: the customer's earlier interactions for the agent it is out to", function () {
  this.timeout(90_000);
  let t: TestServer;
  let admin: string;
  let ann: TestAgent; // gets the chat offers
  let ben: TestAgent; // another agent, offered nothing
  const tag = `oj${randomBytes(4).toString('hex')}`;

  const contact = async (name: string) => {
    const r = await api(t.url, 'POST', '/api/contacts', { name: `${name} ${tag}` }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return r.body.contact.id as string;
  };
  const journey = (offerId: string, who: { token: string }, query = '') => api(t.url, 'GET', `/api/offers/${offerId}/journey${query}`, undefined, who.token);

  before(async () => {
    t = await startRoutingServer();
    admin = await login(t.url);
    ann = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }], capacity: CHAT_ONLY });
    ben = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }], capacity: CHAT_ONLY, available: false });
  });
  after(async () => {
    for (const a of [ann, ben]) a?.socket.close();
    await t?.stop();
  });

  it("answers the agent it is out to with the contact's earlier interactions, not the offered one's, newest first; others and answered offers as unknown", async () => {
    const maria = await contact('maria');
    const other = await contact('other');
    // Two earlier mails of hers (a queue no test agent serves) and one of someone else.
    const earlier = [];
    for (let n = 0; n < 2; n++) earlier.push((await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail, contactId: maria })).interaction.id as string);
    const elsewhere = (await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail, contactId: other })).interaction.id as string;
    const chat = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, contactId: maria })).interaction.id as string;
    const offer = await nextOffer(ann);
    expect(offer.interactionId).to.equal(chat);

    const r = await journey(offer.offerId, ann);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.nextCursor).to.equal(null);
    // One line each, newest first, with how it stands: what the contact's own journey says last of it.
    const own = (await api(t.url, 'GET', `/api/contacts/${maria}/journey`, undefined, admin)).body.events as { interactionId: string; type: string; at: string }[];
    const started = (id: string) => own.filter((e) => e.interactionId === id).at(-1)!.at;
    expect(r.body.interactions).to.deep.equal(
      [earlier[1]!, earlier[0]!].map((id) => ({ interactionId: id, channel: 'mail', at: started(id), outcome: own.find((e) => e.interactionId === id)!.type })),
    );
    const one = await journey(offer.offerId, ann, '?limit=1');
    expect(one.body.interactions).to.deep.equal(r.body.interactions.slice(0, 1));
    expect(one.body.nextCursor).to.be.a('string');
    const rest = await journey(offer.offerId, ann, `?limit=1&cursor=${one.body.nextCursor}`);
    expect(rest.body).to.deep.equal({ interactions: r.body.interactions.slice(1), nextCursor: null });
    expect(JSON.stringify(r.body)).not.to.include(chat).and.not.to.include(elsewhere);

    // Another agent's offer reads like an unknown one, and so does an unknown id.
    const bens = await journey(offer.offerId, ben);
    expect(bens.status).to.equal(404);
    expect(JSON.stringify(bens.body)).not.to.include(tag);
    expect((await journey(newId(), ann)).status).to.equal(404);

    // Accepted, it is no longer out: the journey is the contact's (the sidebar's) from then on.
    expect((await accept(t.url, ann, offer.offerId)).status).to.equal(200);
    expect((await journey(offer.offerId, ann)).status).to.equal(404);
  });

  it('lists the last 20 interactions, however many steps each had, and pages on to the earlier ones', async () => {
    const maria = await contact('maria');
    const earlier: string[] = [];
    for (let n = 0; n < 23; n++) earlier.push((await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail, contactId: maria })).interaction.id as string);
    const own = (await api(t.url, 'GET', `/api/contacts/${maria}/journey`, undefined, admin)).body.events as { interactionId: string }[];
    for (const id of earlier) expect(own.filter((e) => e.interactionId === id).length, 'entries of one interaction').to.be.greaterThan(1);
    const chat = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, contactId: maria })).interaction.id as string;
    const offer = await nextOffer(ann);
    expect(offer.interactionId).to.equal(chat);

    const first = await journey(offer.offerId, ann);
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    const ids = (b: { interactions: { interactionId: string }[] }) => b.interactions.map((l) => l.interactionId);
    expect(ids(first.body)).to.deep.equal(earlier.slice(3).reverse());
    const second = await journey(offer.offerId, ann, `?cursor=${first.body.nextCursor}`);
    expect(second.status, JSON.stringify(second.body)).to.equal(200);
    expect(second.body).to.deep.include({ nextCursor: null });
    expect(ids(second.body)).to.deep.equal(earlier.slice(0, 3).reverse());

    // A cursor of another list (another offer's, a contact's journey) is refused, not read as a place in this one.
    const contactCursor = (await api(t.url, 'GET', `/api/contacts/${maria}/journey?limit=1`, undefined, admin)).body.nextCursor as string;
    const wrong = await journey(offer.offerId, ann, `?cursor=${contactCursor}`);
    expect(wrong.status, JSON.stringify(wrong.body)).to.equal(400);
    expect(wrong.body.error.fields.map((f: { field: string }) => f.field)).to.deep.equal(['cursor']);
    expect((await accept(t.url, ann, offer.offerId)).status).to.equal(200);
  });

  it('answers an offer of an interaction without contact with an empty journey', async () => {
    const chat = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id as string;
    const offer = await nextOffer(ann);
    expect(offer.interactionId).to.equal(chat);
    const r = await journey(offer.offerId, ann);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body).to.deep.equal({ interactions: [], nextCursor: null });
    expect((await accept(t.url, ann, offer.offerId)).status).to.equal(200);
  });

  it('refuses an id that is not an offer id, a limit out of range and a query it does not take with 400', async () => {
    for (const [path, field] of [
      ['/api/offers/not-an-id/journey', 'id'],
      [`/api/offers/${'A'.repeat(32)}/journey`, 'id'],
      [`/api/offers/${newId()}/journey?limit=51`, 'limit'],
      [`/api/offers/${newId()}/journey?limit=0`, 'limit'],
      [`/api/offers/${newId()}/journey?cursor=x`, 'cursor'],
    ] as const) {
      const r = await api(t.url, 'GET', path, undefined, ann.token);
      expect(r.status, `${path} ${JSON.stringify(r.body)}`).to.equal(400);
      expect(r.body.error.fields.map((f: { field: string }) => f.field), path).to.deep.equal([field]);
    }
  });
});
