import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';

interface Connection {
  execute: Send;
  query: Send;
  release(): void;
}
type Send = (sql: string, params: unknown[], done: (err: (Error & { code?: string }) | null, result: unknown) => void) => void;

interface MysqlDriver {
  obtainMasterConnection(): Promise<Connection>;
}

/**
 * A statement of our own sent as a prepared statement: each connection prepares a statement text
 * once and keeps it (at most 100, data-source.ts), and MariaDB then executes it without parsing it
 * again (per statement ~20-30 % less of its CPU than as text: bench/db/statements.mjs). For the
 * statements every callback sends, written once in the code: a text built from data (a list of
 * ids, any number of rows) would fill the server's prepared statements, shared by every connection.
 * Should the server refuse to prepare more (max_prepared_stmt_count), the statement goes as text.
 *
 * The parameters are those of `query()` with two exceptions: an array is not expanded into a list
 * (`IN (?)`), and an object is sent as JSON. `undefined` is NULL, as in `query()`. Rows come back
 * as `query()` gives them (the same conversion of each column), inserts and updates as its
 * ResultSetHeader. `db` an entity manager in a transaction: on the transaction's connection.
 */
export async function execute<T = unknown>(db: DataSource | EntityManager, sql: string, params: unknown[] = []): Promise<T> {
  const values = params.map((p) => (p === undefined ? null : p));
  const source = 'dataSource' in db ? db.dataSource : db;
  const runner = 'queryRunner' in db ? db.queryRunner : undefined;
  const connection = runner ? ((await runner.connect()) as Connection) : await (source.driver as unknown as MysqlDriver).obtainMasterConnection();
  const send = (how: 'execute' | 'query') => new Promise<T>((resolve, reject) => connection[how](sql, values, (err, result) => (err ? reject(err) : resolve(result as T))));
  try {
    return await send('execute').catch((err: Error & { code?: string }) => {
      if (err.code === 'ER_MAX_PREPARED_STMT_COUNT_REACHED') return send('query');
      throw err;
    });
  } catch (err) {
    // As query() fails: callers look at the driver's code (ER_DUP_ENTRY), and the error is made
    // here, in an async function, so its stack names the code that sent the statement.
    throw new QueryFailedError(sql, values, err as Error);
  } finally {
    if (!runner) connection.release();
  }
}

/** The most rows a statement built for any number of rows is prepared for (executeRows). */
export const PREPARED_ROWS = 8;

/**
 * A statement whose text grows with its rows (a multi-row INSERT): prepared for the few rows that
 * come most (up to PREPARED_ROWS), as text beyond — a prepared statement for every number of rows
 * would crowd out the others a connection keeps. `rows`: how many rows the text was built for.
 */
export function executeRows<T = unknown>(db: DataSource | EntityManager, sql: string, params: unknown[], rows: number): Promise<T> {
  return rows <= PREPARED_ROWS ? execute<T>(db, sql, params) : (db.query(sql, params) as Promise<T>);
}
