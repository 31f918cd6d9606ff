import { expect } from 'chai';
import { newId } from '../../kernel/db/ids.js';
import { Contact } from './contact.entity.js';
import { api, login, startTestServer, type TestServer } from '../../test/server.js';

describe('contacts', () => {
  let t: TestServer;
  let token: string;
  before(async () => {
    t = await startTestServer();
    token = await login(t.url);
  });
  after(() => t.stop());

  it('creates, finds, edits and merges custom fields', async () => {
    const created = await api(t.url, 'POST', '/api/contacts', { name: 'Maria Rossi', email: 'Maria.Contacts@Example.com', phone: '+39 02 1234', customFields: { customer_no: 'C-17' } }, token);
    expect(created.status).to.equal(201);
    const c = created.body.contact;
    expect(c.id).to.match(/^[0-9a-f]{32}$/);
    expect(c.email).to.equal('maria.contacts@example.com');
    const found = await api(t.url, 'GET', '/api/contacts?q=rossi', undefined, token);
    expect(found.body.contacts.map((x: { id: string }) => x.id)).to.include(c.id);
    const edited = await api(t.url, 'PATCH', `/api/contacts/${c.id}`, { customFields: { tier: 'gold' } }, token);
    expect(edited.body.contact.customFields).to.deep.equal({ customer_no: 'C-17', tier: 'gold' });
  });

  it('finds contacts changed in the same millisecond in one order, the same first ones for a shorter limit', async () => {
    const db = t.sb.kernel.db;
    const name = `Tie ${newId().slice(0, 8)}`;
    // Stored one after the other; their ids sort the other way round.
    const ids: string[] = [];
    for (const first of 'fedcba9') {
      const id = first + newId().slice(1);
      ids.push(id);
      await db.getRepository(Contact).insert({ id, name, email: null, phone: null, customFields: {} });
    }
    await db.query('UPDATE contacts SET updatedAt = ? WHERE name = ?', [new Date(), name]);
    const found = async (limit: number) => (await api(t.url, 'GET', `/api/contacts?q=${encodeURIComponent(name)}&limit=${limit}`, undefined, token)).body.contacts.map((c: { id: string }) => c.id);
    const all = await found(7);
    expect(all).to.deep.equal([...ids].sort().reverse());
    expect(await found(3)).to.deep.equal(all.slice(0, 3));
  });

  it('matches by email when a channel meets a known visitor, and creates unknown ones', async () => {
    const a = await t.sb.contexts.contacts.findOrCreate({ name: 'Luca', email: 'luca@example.com' });
    const b = await t.sb.contexts.contacts.findOrCreate({ name: 'Someone else', email: 'LUCA@example.com', phone: '+3911' });
    expect(b.id).to.equal(a.id);
    expect(b.name).to.equal('Luca'); // never overwritten by what a visitor types
    expect(b.phone).to.equal('+3911'); // but gaps are filled
    const c = await t.sb.contexts.contacts.findOrCreate({ email: 'new@example.com' });
    expect(c.id).not.to.equal(a.id);
  });

  it('refuses bad input with the field named, and a duplicate email with 409', async () => {
    const r = await api(t.url, 'POST', '/api/contacts', { email: 'not-an-email', phone: 'call me', customFields: { 'Bad Key': 'x' }, extra: 1 }, token);
    expect(r.status).to.equal(400);
    expect(r.body.error.fields.map((f: { field: string }) => f.field)).to.include.members(['email', 'phone', 'customFields.Bad Key', 'extra']);
    await api(t.url, 'POST', '/api/contacts', { email: 'dup@example.com' }, token);
    expect((await api(t.url, 'POST', '/api/contacts', { email: 'dup@example.com' }, token)).status).to.equal(409);
  });

  it('matches LIKE wildcards literally and answers 404 for unknown ids', async () => {
    expect((await api(t.url, 'GET', '/api/contacts?q=%25%25%25', undefined, token)).body.contacts).to.deep.equal([]);
    expect((await api(t.url, 'GET', '/api/contacts/' + 'f'.repeat(32), undefined, token)).status).to.equal(404);
    expect((await api(t.url, 'GET', '/api/contacts/..%2F..%2Fetc%2Fpasswd', undefined, token)).status).to.equal(404);
  });

  it('needs a session', async () => {
    expect((await api(t.url, 'GET', '/api/contacts')).status).to.equal(401);
  });
});
