// Who sees which customer contacts (security.contacts): a company picks all, handled or queues
// for plain agents, and the roles that may edit. Contacts out of sight answer like unknown ones,
// in search, record, journey and edits alike. The policy follows a configuration reload.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { setYaml } from '../../test/config.js';
import { accept, api, createInteraction, login, makeAgent, nextOffer, startRoutingServer, QUEUE, type TestAgent, type TestServer } from '../../test/routing.js';

const CHAT_ONLY = { phone: 0, video: 0, chat: 3, callback: 0, mail: 0, total: 3 };

describe('contacts policy: which agents see and edit which contacts', function () {
  this.timeout(90_000);
  let t: TestServer;
  let admin: string;
  let ann: TestAgent; // handled the chat of `handled`
  let ben: TestAgent; // serves the chat queue, never took that chat
  let cal: TestAgent; // serves no queue (lacks the chat queue's skill)
  let sup: TestAgent;
  const tag = `pol${randomBytes(4).toString('hex')}`;
  const ids = { handled: '', mail: '', lonely: '' };

  const contact = async (name: string) => {
    const r = await api(t.url, 'POST', '/api/contacts', { name: `${name} ${tag}` }, admin);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return r.body.contact.id as string;
  };
  /** Which of this test's contacts the agent finds, opens, and sees the journey of. */
  const sees = async (who: { token: string }) => {
    const found = (await api(t.url, 'GET', `/api/contacts?q=${tag}`, undefined, who.token)).body.contacts.map((c: { name: string }) => c.name.split(' ')[0]);
    const opened: string[] = [];
    for (const [name, id] of Object.entries(ids)) {
      const one = await api(t.url, 'GET', `/api/contacts/${id}`, undefined, who.token);
      const journey = await api(t.url, 'GET', `/api/contacts/${id}/journey`, undefined, who.token);
      expect(journey.status, `${name} journey`).to.equal(one.status);
      if (one.status === 200) opened.push(name);
      else expect(one.status, name).to.equal(404);
    }
    return { found: found.sort(), opened: opened.sort() };
  };
  const policy = async (key: string, value: unknown) => {
    setYaml(t.configDir, 'switchboard.yaml', `security.contacts.${key}`, value);
    return api(t.url, 'POST', '/api/admin/config/reload', undefined, admin);
  };

  before(async () => {
    t = await startRoutingServer();
    admin = await login(t.url);
    ann = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }], capacity: CHAT_ONLY });
    ben = await makeAgent(t.url, admin, { skills: [{ skill: 'english', level: 6 }], capacity: CHAT_ONLY, available: false });
    cal = await makeAgent(t.url, admin, { skills: [{ skill: 'italian', level: 9 }], capacity: CHAT_ONLY, available: false });
    sup = await makeAgent(t.url, admin, { role: 'supervisor', available: false });
    ids.handled = await contact('handled');
    ids.mail = await contact('mail');
    ids.lonely = await contact('lonely');
    // Ann takes a chat of the first contact; the second writes to the mail queue, which no test agent serves.
    await createInteraction(t.url, admin, { channel: 'chat', queueId: QUEUE.chat, contactId: ids.handled });
    expect((await accept(t.url, ann, (await nextOffer(ann)).offerId)).status).to.equal(200);
    await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail, contactId: ids.mail });
  });
  after(async () => {
    for (const a of [ann, ben, cal, sup]) a?.socket.close();
    await t?.stop();
  });

  it('by default (queues): agents see contacts they handled or of their queues; supervisors all', async () => {
    expect(t.config.main.security.contacts.agentsSee).to.equal('queues');
    expect(await sees(ann)).to.deep.equal({ found: ['handled'], opened: ['handled'] });
    expect(await sees(ben)).to.deep.equal({ found: ['handled'], opened: ['handled'] });
    expect(await sees(cal)).to.deep.equal({ found: [], opened: [] });
    expect(await sees(sup)).to.deep.equal({ found: ['handled', 'lonely', 'mail'], opened: ['handled', 'lonely', 'mail'] });
    // Out of sight is out of reach for edits too, and reads like an unknown contact.
    const edit = await api(t.url, 'PATCH', `/api/contacts/${ids.lonely}`, { phone: '+39 02 555' }, ann.token);
    expect(edit.status).to.equal(404);
    expect(JSON.stringify(edit.body)).not.to.include('lonely');
    expect((await api(t.url, 'PATCH', `/api/contacts/${ids.handled}`, { customFields: { tier: 'gold' } }, ann.token)).status).to.equal(200);
  });

  it('handled: only what the agent handled; all: everything', async () => {
    expect((await policy('agentsSee', 'handled')).status).to.equal(200);
    expect(await sees(ann)).to.deep.equal({ found: ['handled'], opened: ['handled'] });
    expect(await sees(ben)).to.deep.equal({ found: [], opened: [] });
    expect((await policy('agentsSee', 'all')).status).to.equal(200);
    expect(await sees(cal)).to.deep.equal({ found: ['handled', 'lonely', 'mail'], opened: ['handled', 'lonely', 'mail'] });
    expect((await policy('agentsSee', 'queues')).status).to.equal(200);
  });

  it('editRoles: roles left out may read but not create or edit', async () => {
    expect((await policy('editRoles', ['supervisor', 'admin'])).status).to.equal(200);
    const edit = await api(t.url, 'PATCH', `/api/contacts/${ids.handled}`, { name: 'Renamed' }, ann.token);
    expect(edit.status).to.equal(403);
    expect(edit.body.error.message).to.match(/role/);
    expect((await api(t.url, 'POST', '/api/contacts', { name: `new ${tag}` }, ann.token)).status).to.equal(403);
    expect((await api(t.url, 'GET', `/api/contacts/${ids.handled}`, undefined, ann.token)).body.contact.name).to.equal(`handled ${tag}`);
    expect((await api(t.url, 'PATCH', `/api/contacts/${ids.handled}`, { phone: '+39 02 777' }, sup.token)).status).to.equal(200);
    expect((await policy('editRoles', ['agent', 'supervisor', 'admin'])).status).to.equal(200);
  });

  it("keeps a plain agent's search to what they may see on every page, not only the first", async () => {
    const paged = `paged${randomBytes(4).toString('hex')}`;
    // Seven contacts, newest first by n; Ann handled the even ones, the odd ones lie between them.
    const made: { id: string; n: number; hers: boolean }[] = [];
    for (let n = 0; n < 7; n++) {
      const r = await api(t.url, 'POST', '/api/contacts', { name: `${n} ${paged}` }, admin);
      made.push({ id: r.body.contact.id as string, n, hers: n % 2 === 0 });
    }
    const db = t.sb.kernel.db;
    const now = Date.now();
    for (const c of made) {
      await db.query('UPDATE contacts SET updatedAt = ? WHERE id = ?', [new Date(now - c.n * 1000), c.id]);
      if (!c.hers) continue;
      const i = (await createInteraction(t.url, admin, { channel: 'mail', queueId: QUEUE.mail, contactId: c.id })).interaction.id as string;
      await db.query('UPDATE interactions SET assignedAgentId = ? WHERE id = ?', [ann.id, i]);
    }
    const pages = async (who: { token: string }) => {
      const out: number[][] = [];
      let cursor: string | null = null;
      do {
        const r = await api(t.url, 'GET', `/api/contacts?q=${paged}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, undefined, who.token);
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        out.push(r.body.contacts.map((c: { name: string }) => Number(c.name.split(' ')[0])));
        cursor = r.body.nextCursor;
      } while (cursor && out.length < 10);
      return out;
    };
    expect(await pages(ann)).to.deep.equal([[0, 2], [4, 6]]);
    expect(await pages(cal)).to.deep.equal([[]]);
    expect(await pages(sup)).to.deep.equal([[0, 1], [2, 3], [4, 5], [6]]);
  });

  it('refuses a policy that is not one, naming the key, and keeps the running one', async () => {
    for (const [key, value] of [['agentsSee', 'everyone'], ['editRoles', ['janitor']]] as const) {
      const r = await policy(key, value);
      expect(r.status, JSON.stringify(r.body)).to.equal(422);
      expect(JSON.stringify(r.body.error.fields)).to.include(`security.contacts.${key}`);
    }
    setYaml(t.configDir, 'switchboard.yaml', 'security.contacts', { agentsSee: 'queues', editRoles: ['agent', 'supervisor', 'admin'] });
    expect(await sees(cal)).to.deep.equal({ found: [], opened: [] });
  });
});
