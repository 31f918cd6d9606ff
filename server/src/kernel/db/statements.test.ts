import { expect } from 'chai';
import { QueryFailedError, type DataSource } from 'typeorm';
import { testConfig } from '../../test/config.js';
import { createDataSource } from './data-source.js';
import { PREPARED_ROWS, execute, executeRows } from './statements.js';

describe('statements sent as prepared statements', () => {
  // One connection: the session's counters and its temporary table are those of every statement here.
  let db: DataSource;
  before(async () => {
    db = createDataSource({ ...testConfig().main.database, poolSize: 1 }, []);
    await db.initialize();
    await db.query(
      'CREATE TEMPORARY TABLE t (id CHAR(32) NOT NULL PRIMARY KEY, n INT NULL, big BIGINT NULL, amount DECIMAL(10,2) NULL, flag TINYINT NOT NULL, at DATETIME(3) NULL, data LONGTEXT NULL, note VARCHAR(64) NULL)',
    );
  });
  after(() => db.destroy());

  const counters = async () => {
    const rows = (await db.query("SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute', 'Com_stmt_close')")) as { Variable_name: string; Value: string }[];
    return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
  };

  it('prepares a statement once on a connection and then only executes it (the binary protocol)', async () => {
    const before = await counters();
    for (let i = 0; i < 5; i++) expect(await execute(db, 'SELECT ? + 1 AS n /* prepared once */', [i])).to.deep.equal([{ n: i + 1 }]);
    const after = await counters();
    expect(after.Com_stmt_prepare! - before.Com_stmt_prepare!).to.equal(1);
    expect(after.Com_stmt_execute! - before.Com_stmt_execute!).to.equal(5);
  });

  it('keeps at most 100 statements prepared on a connection, closing the least recently used', async () => {
    for (let i = 0; i < 100; i++) await execute(db, `SELECT ${i} AS n /* one of many */`);
    const before = await counters();
    await execute(db, 'SELECT 100 AS n /* one of many */');
    const after = await counters();
    expect(after.Com_stmt_close! - before.Com_stmt_close!).to.equal(1);
  });

  it('sends the statement as text when the server refuses to prepare more', async () => {
    const sent: string[] = [];
    const refusing = {
      execute: (_sql: string, _params: unknown[], done: (err: Error | null, r?: unknown) => void) => {
        sent.push('execute');
        done(Object.assign(new Error("Can't create more than max_prepared_stmt_count statements"), { code: 'ER_MAX_PREPARED_STMT_COUNT_REACHED' }));
      },
      query: (_sql: string, params: unknown[], done: (err: Error | null, r?: unknown) => void) => {
        sent.push('query');
        done(null, [{ n: params[0] }]);
      },
      release: () => sent.push('release'),
    };
    const full = { driver: { obtainMasterConnection: () => Promise.resolve(refusing) } } as unknown as DataSource;
    expect(await execute(full, 'SELECT ? AS n', [7])).to.deep.equal([{ n: 7 }]);
    expect(sent).to.deep.equal(['execute', 'query', 'release']);
  });

  it('prepares a statement built for any number of rows up to PREPARED_ROWS rows, and sends it as text beyond', async () => {
    const insert = async (rows: number, tag: string) => {
      const before = await counters();
      const ids = Array.from({ length: rows }, (_, n) => `${tag}${n}`.padEnd(32, '-'));
      await executeRows(db, `INSERT INTO t (id, flag) VALUES ${ids.map(() => '(?, 0)').join(', ')}`, ids, rows);
      const after = await counters();
      return { prepared: after.Com_stmt_prepare! - before.Com_stmt_prepare!, executed: after.Com_stmt_execute! - before.Com_stmt_execute! };
    };
    expect(await insert(1, 'one')).to.deep.equal({ prepared: 1, executed: 1 });
    expect(await insert(PREPARED_ROWS, 'most')).to.deep.equal({ prepared: 1, executed: 1 });
    expect(await insert(PREPARED_ROWS + 1, 'many')).to.deep.equal({ prepared: 0, executed: 0 });
    expect((await db.query("SELECT COUNT(*) AS n FROM t WHERE id LIKE 'one%' OR id LIKE 'most%' OR id LIKE 'many%'")) as unknown[]).to.deep.equal([{ n: String(2 * PREPARED_ROWS + 2) }]);
  });

  it('writes values and gives rows back as query() does', async () => {
    const at = new Date('2026-03-29T01:30:05.123Z');
    const r = (await execute(db, 'INSERT INTO t (id, n, big, amount, flag, at, data, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)', ['a'.repeat(32), 42, '9007199254740993', '12.50', true, at, JSON.stringify({ x: [1] }), undefined])) as {
      affectedRows: number;
    };
    expect(r.affectedRows).to.equal(1);
    const sql = 'SELECT id, n, big, amount, flag, at, data, note, COUNT(*) OVER () AS total FROM t WHERE id = ?';
    const asText = (await db.query(sql, ['a'.repeat(32)])) as Record<string, unknown>[];
    expect(asText).to.deep.equal([{ id: 'a'.repeat(32), n: 42, big: '9007199254740993', amount: '12.50', flag: 1, at, data: '{"x":[1]}', note: null, total: '1' }]);
    expect(await execute(db, sql, ['a'.repeat(32)])).to.deep.equal(asText);
    const updated = (await execute(db, 'UPDATE t SET note = ? WHERE id = ? AND note IS NULL', ['seen', 'a'.repeat(32)])) as { affectedRows: number };
    expect(updated.affectedRows).to.equal(1);
  });

  it("sends a transaction's statements on its connection", async () => {
    const two = createDataSource({ ...testConfig().main.database, poolSize: 2 }, []);
    await two.initialize();
    try {
      await two.transaction(async (m) => {
        const [mine] = (await m.query('SELECT CONNECTION_ID() AS id')) as { id: string }[];
        expect(await execute(m, 'SELECT CONNECTION_ID() AS id')).to.deep.equal([mine]);
        expect(await execute(two, 'SELECT CONNECTION_ID() AS id')).not.to.deep.equal([mine]);
      });
    } finally {
      await two.destroy();
    }
  });

  it("fails as query() does, with the driver's code and a stack that names the code that sent it", async () => {
    async function insertsTwice(): Promise<void> {
      await execute(db, 'INSERT INTO t (id, flag) VALUES (?, ?)', ['b'.repeat(32), 0]);
      await execute(db, 'INSERT INTO t (id, flag) VALUES (?, ?)', ['b'.repeat(32), 0]);
    }
    const err = await insertsTwice().then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err).to.be.instanceOf(QueryFailedError);
    expect(err?.code).to.equal('ER_DUP_ENTRY');
    expect(err?.stack).to.match(/at async insertsTwice /);
  });
});
