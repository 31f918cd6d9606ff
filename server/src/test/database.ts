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

/** The statements sent on the database's connections from now (ours and the ORM's), until `stop()`; `sent` with their parameters. */
export function statementsFrom(db: DataSource): { texts: string[]; sent: { text: string; params: unknown[] }[]; stop(): void } {
  type Send = (sql: string | { sql: string }, ...rest: unknown[]) => unknown;
  type Connection = { execute: Send; query: Send; promise(): Connection };
  const driver = db.driver as unknown as { obtainMasterConnection(): Promise<Connection> };
  const obtain = driver.obtainMasterConnection;
  const texts: string[] = [];
  const sent: { text: string; params: unknown[] }[] = [];
  // The ORM sends through the connection's promise() wrapper, our own statements through the connection.
  const watched = (c: Connection): Connection =>
    new Proxy(c, {
      get(target, prop) {
        if (prop === 'execute' || prop === 'query') {
          return (sql: string | { sql: string }, ...rest: unknown[]) => {
            const text = typeof sql === 'string' ? sql : sql.sql;
            texts.push(text);
            sent.push({ text, params: Array.isArray(rest[0]) ? rest[0] : [] });
            return target[prop](sql, ...rest);
          };
        }
        if (prop === 'promise') return () => watched(target.promise());
        const v = Reflect.get(target, prop, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  driver.obtainMasterConnection = async () => watched(await obtain.call(driver));
  return { texts, sent, stop: () => void (driver.obtainMasterConnection = obtain) };
}
