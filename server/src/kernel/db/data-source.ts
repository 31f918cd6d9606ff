import 'reflect-metadata';
import { DataSource } from 'typeorm';
import type { SwitchboardFile } from '../config/schema.js';
import { migrations } from './migrations/index.js';

type Entities = NonNullable<ConstructorParameters<typeof DataSource>[0]['entities']>;

export interface DataSourceOptions {
  /** Only for unit tests of entities; production schemas change through migrations alone. */
  synchronize?: boolean;
  databaseOverride?: string;
}

/** Where the database is reached, for messages: its socket or its host and port. */
export function databaseAddress(db: SwitchboardFile['database']): string {
  return db.socketPath ?? `${db.host}:${db.port}`;
}

/** `entities`: every context's entities (server/src/entities.ts lists them). */
export function createDataSource(db: SwitchboardFile['database'], entities: Entities, options: DataSourceOptions = {}): DataSource {
  return new DataSource({
    type: db.type,
    ...(db.socketPath ? { socketPath: db.socketPath } : { host: db.host, port: db.port }),
    username: db.user,
    password: db.password,
    database: options.databaseOverride ?? db.name,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    poolSize: db.poolSize,
    connectTimeout: 5000,
    entities,
    migrations,
    migrationsTableName: 'schema_migrations',
    migrationsTransactionMode: 'each',
    synchronize: options.synchronize ?? false,
    logging: false,
    // mysql2 captures a stack for every statement, to put on its error if the statement fails
    // (3 % of the server's CPU per callback). The error we see is TypeORM's, thrown in an async
    // function: its stack already names the code that sent the statement (data-source.test.ts).
    // Statements prepared (kernel/db/statements.ts) are kept per connection, the least recently
    // used closed beyond this: the server's limit (max_prepared_stmt_count, 16,382 by default) is
    // shared by all connections, 151 of them at most by default.
    extra: { trace: false, maxPreparedStatements: 100 },
  });
}
