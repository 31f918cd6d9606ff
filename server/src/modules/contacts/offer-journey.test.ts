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
    const ids = r.body.events.map((e: { interactionId: string }) => e.interactionId) as string[];
    expect(ids.length).to.be.greaterThan(0);
    expect(new Set(ids)).to.deep.equal(new Set(earlier));
    expect(ids).not.to.include(chat);
    expect(ids).not.to.include(elsewhere);
    // Newest first: the second mail's entries before the first's.
    expect(ids.indexOf(earlier[1]!)).to.be.lessThan(ids.lastIndexOf(earlier[0]!));
    const ats = r.body.events.map((e: { at: string }) => e.at) as string[];
    expect(ats).to.deep.equal([...ats].sort().reverse());
    // What the contact's own journey says of those interactions, in the same shape.
    const own = await api(t.url, 'GET', `/api/contacts/${maria}/journey`, undefined, admin);
    expect(r.body.events).to.deep.equal(own.body.events.filter((e: { interactionId: string }) => e.interactionId !== chat));
    const one = await journey(offer.offerId, ann, '?limit=1');
    expect(one.body.events).to.deep.equal(r.body.events.slice(0, 1));

    // Another agent's offer reads like an unknown one, and so does an unknown id.
    const bens = await journey(offer.offerId, ben);
    expect(bens.status).to.equal(404);
    expect(JSON.stringify(bens.body)).not.to.include(tag);
    expect((await journey(newId(), ann)).status).to.equal(404);

    // Accepted, it is no longer out: the journey is the contact's (the sidebar's) from then on.
    expect((await accept(t.url, ann, offer.offerId)).status).to.equal(200);
    expect((await journey(offer.offerId, ann)).status).to.equal(404);
  });

  it('answers an offer of an interaction without contact with an empty journey', async () => {
    const chat = (await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat })).interaction.id as string;
    const offer = await nextOffer(ann);
    expect(offer.interactionId).to.equal(chat);
    const r = await journey(offer.offerId, ann);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body).to.deep.equal({ events: [], nextCursor: null });
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
