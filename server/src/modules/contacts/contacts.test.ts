import { expect } from 'chai';
import type { SelectQueryBuilder } from 'typeorm';
import { newId } from '../../kernel/db/ids.js';
import { Contact } from './contact.entity.js';
import { InteractionEvent } from '../journey/index.js';
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

  describe('a page at a time', () => {
    /** Contacts named `<name> n`, changed four to a millisecond (newest first by n); their ids in the order a search gives them. */
    const stored = async (name: string, count: number) => {
      const db = t.sb.kernel.db;
      const base = Date.now();
      const rows = Array.from({ length: count }, (_, n) => ({ id: newId(), n, at: new Date(base - Math.floor(n / 4) * 1000) }));
      await db.getRepository(Contact).insert(rows.map((r) => ({ id: r.id, name: `${name} ${r.n}`, email: null, phone: null, customFields: {} })));
      for (const r of rows) await db.query('UPDATE contacts SET updatedAt = ? WHERE id = ?', [r.at, r.id]);
      return rows.sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    };
    const search = async (q: string, limit: number, cursor?: string) => {
      const r = await api(t.url, 'GET', `/api/contacts?q=${encodeURIComponent(q)}&limit=${limit}${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`, undefined, token);
      return r as { status: number; body: { contacts: { id: string }[]; nextCursor: string | null; error: { fields: { field: string; problem: string }[] } } };
    };
    /** Every page of a search, following nextCursor until it is null. */
    const pages = async (q: string, limit: number) => {
      const out: string[][] = [];
      let cursor: string | undefined;
      do {
        const r = await search(q, limit, cursor);
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        out.push(r.body.contacts.map((c) => c.id));
        cursor = r.body.nextCursor ?? undefined;
      } while (cursor && out.length < 10);
      return out;
    };
    const refused = (r: { status: number; body: { error: { fields: { field: string; problem: string }[] } } }, problem: RegExp) => {
      expect(r.status, JSON.stringify(r.body)).to.equal(400);
      expect(r.body.error.fields).to.have.lengthOf(1);
      expect(r.body.error.fields[0]!.field).to.equal('cursor');
      expect(r.body.error.fields[0]!.problem).to.match(problem);
    };

    it('pages 60 matches by 25 as 25, 25 and 10, each once and in order, the last page without a cursor', async () => {
      const name = `Paged ${newId().slice(0, 8)}`;
      const ids = await stored(name, 60);
      const got = await pages(name, 25);
      expect(got.map((p) => p.length)).to.deep.equal([25, 25, 10]);
      expect(got.flat()).to.deep.equal(ids);
      // A search of exactly two pages says so on the second.
      expect((await pages(name, 30)).map((p) => p.length)).to.deep.equal([30, 30]);
    });

    it('goes on inside a group changed in the same millisecond without skipping or repeating', async () => {
      const name = `Tied ${newId().slice(0, 8)}`;
      const ids = await stored(name, 7);
      await t.sb.kernel.db.query('UPDATE contacts SET updatedAt = ? WHERE name LIKE ?', [new Date(), `${name} %`]);
      const got = await pages(name, 3);
      expect(got.map((p) => p.length)).to.deep.equal([3, 3, 1]);
      expect(got.flat()).to.deep.equal([...ids].sort().reverse());
    });

    it('refuses a cursor that is garbage, changed, or from another search with 400 naming the cursor', async () => {
      const name = `Cursor ${newId().slice(0, 8)}`;
      await stored(name, 3);
      const cursor = (await search(name, 1)).body.nextCursor!;
      expect(cursor).to.be.a('string');
      refused(await search(name, 1, 'garbage!'), /not a cursor this server gave/);
      refused(await search(name, 1, ''), /not a cursor this server gave/);
      refused(await search(name, 1, 'x'.repeat(500)), /200/);
      // Its place moved by a millisecond, and one character of it changed.
      const text = Buffer.from(cursor, 'base64url').toString('utf8');
      const moved = text.replace(/^\d+/, (ms) => String(Number(ms) - 1));
      refused(await search(name, 1, Buffer.from(moved).toString('base64url')), /not a cursor this server gave/);
      refused(await search(name, 1, cursor.slice(0, 5) + (cursor[5] === 'A' ? 'B' : 'A') + cursor.slice(6)), /not a cursor this server gave/);
      refused(await search(`${name} 2`, 1, cursor), /another list/);
      refused(await search('', 1, cursor), /another list/);
      const r = await api(t.url, 'GET', `/api/contacts?q=${encodeURIComponent(name)}&cursor=a&cursor=b`, undefined, token);
      expect(r.status).to.equal(400);
      expect((await search(name, 1, cursor)).status).to.equal(200);
    });

    it("pages a contact's journey newest first, entries of the same millisecond included, a cursor fitting that contact only", async () => {
      const db = t.sb.kernel.db;
      const contact = (await api(t.url, 'POST', '/api/contacts', { name: 'Journey pages' }, token)).body.contact.id as string;
      const other = (await api(t.url, 'POST', '/api/contacts', { name: 'Journey other' }, token)).body.contact.id as string;
      const base = Date.now();
      // Written in this order, so seq grows with n.
      await db.getRepository(InteractionEvent).insert(Array.from({ length: 60 }, (_, n) => ({ contactId: contact, interactionId: newId(), agentId: null, type: 'queued' as const, data: { n }, at: new Date(base - Math.floor(n / 4) * 1000) })));
      const expected = Array.from({ length: 60 }, (_, n) => n).sort((a, b) => Math.floor(a / 4) - Math.floor(b / 4) || b - a);
      const journey = (id: string, query: string) => api(t.url, 'GET', `/api/contacts/${id}/journey${query}`, undefined, token);
      const got: number[][] = [];
      let cursor: string | null = null;
      do {
        const r = await journey(contact, `?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        got.push(r.body.events.map((e: { data: { n: number } }) => e.data.n));
        cursor = r.body.nextCursor;
      } while (cursor && got.length < 10);
      expect(got.map((p) => p.length)).to.deep.equal([25, 25, 10]);
      expect(got.flat()).to.deep.equal(expected);
      // Unpaged, as the desktop first asks: up to 200 entries.
      const all = await journey(contact, '');
      expect(all.body.events).to.have.lengthOf(60);
      expect(all.body.nextCursor).to.equal(null);
      const first = (await journey(contact, '?limit=25')).body.nextCursor as string;
      refused((await journey(other, `?cursor=${encodeURIComponent(first)}`)) as never, /another list/);
      refused((await journey(contact, '?cursor=nonsense')) as never, /not a cursor this server gave/);
      refused(await search('', 1, first), /another list/);
      expect((await journey(contact, '?limit=201')).status).to.equal(400);
    });
  });

  it('reads a search with no words a page at a time off the (updatedAt, id) index, without sorting every contact', async () => {
    const db = t.sb.kernel.db;
    // Enough contacts that sorting them all costs more than reading a page off the index, and the
    // statistics brought up to date, as a center's table has them: a handful is cheaper to sort.
    await db.getRepository(Contact).insert(Array.from({ length: 5000 }, (_, n) => ({ id: newId(), name: `Planned ${n}`, email: null, phone: null, customFields: {} })));
    await db.query('ANALYZE TABLE contacts');
    /** The plan of the query the search runs: the scope hook is handed the query, which is complete once the search has run. */
    const plan = async (after?: { at: Date; key: string }) => {
      let query: SelectQueryBuilder<Contact> | undefined;
      await t.sb.contexts.contacts.search(undefined, 26, async (qb) => void (query = qb), after);
      const [sql, params] = query!.getQueryAndParameters();
      return (await db.query(`EXPLAIN ${sql}`, params)) as { table: string; key: string | null; Extra: string | null }[];
    };
    for (const rows of [await plan(), await plan({ at: new Date(), key: 'f'.repeat(32) })]) {
      expect(rows, JSON.stringify(rows)).to.have.lengthOf(1);
      expect(rows[0]!.key, JSON.stringify(rows)).to.equal('IDX_6710ea5fa60f8ac0b489b9fd27');
      expect(rows[0]!.Extra ?? '', JSON.stringify(rows)).not.to.include('filesort');
    }
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

  it('matches a number only to a contact without another address: a visitor sharing a line with a known contact is a contact of their own', async () => {
    const phone = `+3906${String(Date.now() % 1e8).padStart(8, '0')}`;
    const office = await t.sb.contexts.contacts.findOrCreate({ name: 'Front desk', email: `desk-${phone}@example.com`, phone });
    const colleague = await t.sb.contexts.contacts.findOrCreate({ name: 'Colleague', email: `colleague-${phone}@example.com`, phone });
    expect(colleague.id, 'another address on the same line').not.to.equal(office.id);
    expect(colleague.email).to.equal(`colleague-${phone}@example.com`);
    const unnamed = await t.sb.contexts.contacts.findOrCreate({ phone });
    expect([office.id, colleague.id], 'a number alone finds one of the line').to.include(unnamed.id);
    expect((await t.sb.contexts.contacts.findOrCreate({ email: `desk-${phone}@example.com`, phone })).id, 'the address decides').to.equal(office.id);
    const bare = `+3907${String(Date.now() % 1e8).padStart(8, '0')}`;
    const lineOnly = await t.sb.contexts.contacts.findOrCreate({ phone: bare });
    const named = await t.sb.contexts.contacts.findOrCreate({ email: `first-${bare}@example.com`, phone: bare });
    expect(named.id, 'a contact known by its number alone takes the address given').to.equal(lineOnly.id);
    expect(named.email).to.equal(`first-${bare}@example.com`);
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
