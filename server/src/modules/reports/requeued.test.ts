// Time to answer when an interaction went back to its queue. A customer-first callback whose first
// agent's phone refused the call was answered by the second agent: its wait runs from its first
// entry to that answer, and the handling from there. A chat whose agent left with it had been
// answered already: its first answer stays the answer. Recorded rows in a database of their own;
// the report is read from the rows and from the hourly buckets.
import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { migratedDatabase } from '../../test/database.js';
import { newId } from '../../kernel/db/ids.js';
import type { Config } from '../../kernel/config/schema.js';
import { ReportsService } from './service.js';
import { ReportBuckets } from './buckets.js';
import { interactionReportQuery } from './schema.js';

const T = Date.parse('2021-03-10T08:00:00Z');
const at = (s: number) => new Date(T + s * 1000);
const config = () =>
  ({ queues: [{ id: 'callbacks', name: 'Callbacks', serviceLevelSeconds: 30 }, { id: 'chat', name: 'Chat', serviceLevelSeconds: 30 }], websites: [] }) as unknown as Config;

describe('reports: time to answer of a requeued interaction', () => {
  let drop: (() => Promise<void>) | undefined;
  let db: DataSource;
  let reports: ReportsService;
  const agents = [newId(), newId()];

  /** One interaction, closed by agent 1, with its journey: [second, type, agent index or null, data]. */
  async function insert(queueId: string, channel: string, steps: [number, string, number | null, Record<string, unknown>][]): Promise<void> {
    const id = newId();
    const last = (type: string) => steps.filter((s) => s[1] === type).at(-1)![0];
    await db.query("INSERT INTO interactions (id, channel, direction, state, queueId, assignedAgentId, routingVariables, queuedAt, assignedAt, closedAt) VALUES (?, ?, 'inbound', 'closed', ?, ?, '{}', ?, ?, ?)", [
      id, channel, queueId, agents[1], at(steps[0]![0]), at(last('assigned')), at(last('closed')),
    ]);
    for (const [s, type, agent, data] of steps) {
      await db.query('INSERT INTO interaction_events (interactionId, agentId, type, data, at) VALUES (?, ?, ?, ?, ?)', [id, agent === null ? null : agents[agent], type, JSON.stringify(data), at(s)]);
    }
  }

  before(async () => {
    ({ db, drop } = await migratedDatabase('rrequeued'));
    for (const [n, id] of agents.entries()) {
      await db.query("INSERT INTO agents (id, username, displayName, role, passwordHash, capacity) VALUES (?, ?, ?, 'agent', 'x', '{}')", [id, `a${n}`, `Agent ${n}`]);
    }
    await insert('callbacks', 'callback', [
      [0, 'queued', null, {}], [10, 'assigned', 0, {}], [15, 'requeued', 0, { reason: 'agent-not-connected', status: 486 }], [40, 'assigned', 1, {}], [100, 'closed', 1, {}],
    ]);
    await insert('chat', 'chat', [
      [0, 'queued', null, {}], [5, 'assigned', 0, {}], [30, 'requeued', 0, { reason: 'agent-left', why: 'logged-out' }], [50, 'assigned', 1, {}], [110, 'closed', 1, {}],
    ]);
    reports = new ReportsService(db, config);
  });

  after(async () => {
    await drop?.();
  });

  const read = async (queue: string, fromBuckets: boolean) => {
    const q = interactionReportQuery.parse({ from: '2021-03-10', to: '2021-03-10', queue });
    return (fromBuckets ? await reports.interactions(q) : await reports.interactionsFromRecords(q)).total;
  };

  for (const fromBuckets of [false, true]) {
    it(`answers a customer-first callback when the second agent took it, not when the first agent's phone refused (${fromBuckets ? 'hourly buckets' : 'recorded rows'})`, async () => {
      if (fromBuckets) await new ReportBuckets(db, () => reports.thresholds(), () => new Date('2021-03-11T00:00:00Z')).rebuild(new Date('2021-03-10T00:00:00Z'), new Date('2021-03-11T00:00:00Z'));
      expect(await read('callbacks', fromBuckets)).to.include({ answered: 1, timeToAnswerAvg: 40, handleTimeAvg: 60 });
      // An agent leaving with a chat they had answered does not undo that answer.
      expect(await read('chat', fromBuckets)).to.include({ answered: 1, timeToAnswerAvg: 5, handleTimeAvg: 105 });
    });
  }
});
