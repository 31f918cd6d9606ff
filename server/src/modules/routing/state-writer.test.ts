import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import { newId } from '../../kernel/db/ids.js';
import { StateChangeWriter, type StateRow } from './state-writer.js';

describe('agent state changes written together', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  const agents = [newId(), newId()];

  before(async () => {
    ({ db, drop } = await migratedDatabase('statewriter'));
    for (const [n, id] of agents.entries()) await db.query("INSERT INTO agents (id, username, displayName, role, passwordHash, capacity) VALUES (?, ?, 'Agent', 'agent', 'x', '{}')", [id, `a${n}`]);
  });
  after(async () => {
    await drop?.();
  });

  const rowsOf = async () =>
    ((await db.query('SELECT agentId, state, reason, at FROM agent_state_changes WHERE agentId IN (?, ?) ORDER BY seq', agents)) as StateRow[]).map((r) => [r.agentId, r.state, r.reason]);

  it("sends the first step's rows at once and those that came meanwhile in one statement, in arrival order; a bad row fails only its own step", async () => {
    const writer = new StateChangeWriter(db);
    const inserts: StateRow[][] = [];
    const w = writer as unknown as { insert: (rows: StateRow[]) => Promise<unknown> };
    const send = w.insert.bind(writer);
    w.insert = (rows) => {
      inserts.push(rows);
      return send(rows);
    };
    const at = new Date('2026-12-05T10:11:12.000Z');
    const [a, b] = agents as [string, string];
    const results = await Promise.allSettled([
      writer.write([{ agentId: a, state: 'busy', reason: null, at }]),
      writer.write([{ agentId: b, state: 'busy', reason: null, at }, { agentId: a, state: 'wrap-up', reason: null, at }]),
      // No such agent: its step alone fails.
      writer.write([{ agentId: newId(), state: 'available', reason: null, at }]),
      writer.write([{ agentId: a, state: 'available', reason: null, at }]),
    ]);
    expect(results.map((r) => r.status)).to.deep.equal(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    // The first alone, the three that came meanwhile together (refused), then each of them alone.
    expect(inserts.map((r) => r.length)).to.deep.equal([1, 4, 2, 1, 1]);
    expect(await rowsOf()).to.deep.equal([
      [a, 'busy', null],
      [b, 'busy', null],
      [a, 'wrap-up', null],
      [a, 'available', null],
    ]);
  });
});
