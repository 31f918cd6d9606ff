import { expect } from 'chai';
import { testConfig } from '../../test/config.js';
import { createDatabase, dropDatabase } from './admin.js';
import { createDataSource } from './data-source.js';
import { entities } from '../../entities.js';
import { TEST_DB } from '../../test/env.js';

describe('database migrations', () => {
  const db = `${TEST_DB}_mig`;
  const cfg = testConfig().main.database;
  after(() => dropDatabase(cfg, db));

  it('create the whole schema on an empty database, matching the entities exactly', async () => {
    await createDatabase(cfg, db, true);
    const ds = createDataSource(cfg, entities, { databaseOverride: db });
    await ds.initialize();
    try {
      const ran = await ds.runMigrations();
      expect(ran.length).to.be.greaterThan(0);
      const tables = (await ds.query('SHOW TABLES')).map((r: Record<string, string>) => Object.values(r)[0]);
      for (const t of ['agents', 'interactions', 'offers', 'messages', 'attachments', 'calls', 'call_legs', 'callbacks', 'mail_threads', 'interaction_events', 'contacts', 'websites', 'queues', 'skills']) {
        expect(tables).to.include(t);
      }
      // Entities changed without a migration would show up here as pending schema changes.
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).to.deep.equal([]);
      expect(await ds.runMigrations()).to.deep.equal([]);
      // And they can be rolled back, one by one, to an empty schema.
      for (let i = 0; i < ran.length; i++) await ds.undoLastMigration();
      const left = (await ds.query('SHOW TABLES')).map((r: Record<string, string>) => Object.values(r)[0]);
      expect(left).to.deep.equal(['schema_migrations']);
    } finally {
      await ds.destroy();
    }
  });
});
