import { expect } from 'chai';
import mysql from 'mysql2/promise';
import { testConfig } from '../../test/config.js';
import { TEST_DB } from '../../test/env.js';
import { createDatabase, dropDatabase } from './admin.js';
import { createDataSource } from './data-source.js';
import { entities } from '../../entities.js';
import { migrations } from './migrations/index.js';
import { runMigrationsLocked } from './migration-lock.js';

describe('migrations under a lock (several instances starting at once)', () => {
  const db = `${TEST_DB}_lock`;
  const cfg = testConfig().main.database;
  const lockName = `switchboard.migrations.${db}`.slice(0, 64);
  let holder: mysql.Connection;

  beforeEach(async () => {
    await createDatabase(cfg, db, true);
    // Another instance, mid-migration: it holds the lock.
    holder = await mysql.createConnection({ host: cfg.host, port: cfg.port, user: cfg.user, password: cfg.password });
    const [rows] = await holder.query('SELECT GET_LOCK(?, 5) AS got', [lockName]);
    expect((rows as { got: number }[])[0]!.got).to.equal(1);
  });
  afterEach(async () => {
    await holder?.end();
    await dropDatabase(cfg, db);
  });

  const tables = async () => {
    const [rows] = await holder.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ?', [db]);
    return (rows as { t: string }[]).map((r) => r.t);
  };

  it('waits while another instance holds the lock, then applies every migration exactly once among the instances', async () => {
    const instances = [createDataSource(cfg, entities, { databaseOverride: db }), createDataSource(cfg, entities, { databaseOverride: db })];
    await Promise.all(instances.map((ds) => ds.initialize()));
    try {
      const runs = instances.map((ds) => runMigrationsLocked(ds, { waitSeconds: 60 }));
      // Both are queued on the lock (the server lists them), and nothing has touched the schema.
      for (;;) {
        const [waiting] = await holder.query("SELECT COUNT(*) AS n FROM information_schema.processlist WHERE info LIKE 'SELECT GET_LOCK(%' AND LOCATE(?, info) > 0", [lockName]);
        if (Number((waiting as { n: number }[])[0]!.n) >= 2) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await tables()).to.deep.equal([]);
      await holder.query('SELECT RELEASE_LOCK(?)', [lockName]);
      const applied = (await Promise.all(runs)).map((r) => r.length).sort();
      expect(applied).to.deep.equal([0, migrations.length]);
      const [rows] = await holder.query(`SELECT COUNT(*) AS n FROM \`${db}\`.schema_migrations`);
      expect(Number((rows as { n: number }[])[0]!.n)).to.equal(migrations.length);
      // And the lock is free again for the next start.
      const [free] = await holder.query('SELECT IS_FREE_LOCK(?) AS free', [lockName]);
      expect(Number((free as { free: number }[])[0]!.free)).to.equal(1);
    } finally {
      await Promise.all(instances.map((ds) => ds.destroy()));
    }
  });

  it('gives up with a clear error when the lock stays held, and migrates nothing', async () => {
    const ds = createDataSource(cfg, entities, { databaseOverride: db });
    await ds.initialize();
    try {
      let error: Error | undefined;
      await runMigrationsLocked(ds, { waitSeconds: 1 }).catch((err: Error) => (error = err));
      expect(error?.message).to.contain(`another instance held the migration lock "${lockName}" for 1 s`);
      expect(await tables()).to.deep.equal([]);
    } finally {
      await ds.destroy();
    }
  });
});
