import mysql from 'mysql2/promise';
import type { SwitchboardFile } from '../config/schema.js';

type Db = SwitchboardFile['database'];

async function withServer<T>(db: Db, fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const c = await mysql.createConnection({ ...(db.socketPath ? { socketPath: db.socketPath } : { host: db.host, port: db.port }), user: db.user, password: db.password, connectTimeout: 5000 });
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const ident = (name: string) => {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`invalid database name ${name}`);
  return '`' + name + '`';
};

export async function createDatabase(db: Db, name: string, fresh = false): Promise<void> {
  await withServer(db, async (c) => {
    if (fresh) await c.query(`DROP DATABASE IF EXISTS ${ident(name)}`);
    await c.query(`CREATE DATABASE IF NOT EXISTS ${ident(name)} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  });
}

export async function dropDatabase(db: Db, name: string): Promise<void> {
  await withServer(db, (c) => c.query(`DROP DATABASE IF EXISTS ${ident(name)}`).then(() => undefined));
}
