import type { DataSource } from 'typeorm';
import { createDatabase, dropDatabase } from '../kernel/db/admin.js';
import { createDataSource } from '../kernel/db/data-source.js';
import { entities } from '../entities.js';
import { testConfig } from './config.js';
import { TEST_DB } from './env.js';

/**
 * A database of one test file's own (`<test database>_<suffix>`), created empty and migrated, for
 * tests that write rows no server may touch; `drop` closes the connection and removes it.
 */
export async function migratedDatabase(suffix: string): Promise<{ db: DataSource; drop(): Promise<void> }> {
  const cfg = testConfig().main.database;
  const name = `${TEST_DB}_${suffix}`;
  await createDatabase(cfg, name, true);
  const db = createDataSource(cfg, entities, { databaseOverride: name });
  await db.initialize();
  await db.runMigrations();
  return {
    db,
    drop: async () => {
      await db.destroy();
      await dropDatabase(cfg, name);
    },
  };
}
