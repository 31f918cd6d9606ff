import type { DataSource, Migration } from 'typeorm';

/** How long an instance waits for another one's migrations before it gives up starting. */
const DEFAULT_WAIT_SECONDS = 600;

/**
 * Runs the pending migrations under a MySQL named lock, so that instances starting together (the
 * replicas of a new image) apply them once: the first takes the lock and migrates, the others
 * wait for it and then find nothing left to do. The lock belongs to one connection, so an
 * instance that dies mid-migration releases it with its connection.
 */
export async function runMigrationsLocked(ds: DataSource, opts: { waitSeconds?: number } = {}): Promise<Migration[]> {
  const wait = opts.waitSeconds ?? DEFAULT_WAIT_SECONDS;
  // Lock names are server-wide: one per database (MySQL allows 64 characters).
  const name = `switchboard.migrations.${String(ds.options.database)}`.slice(0, 64);
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    const [row] = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [name, wait])) as { got: number | string | null }[];
    if (Number(row?.got) !== 1) throw new Error(`another instance held the migration lock "${name}" for ${wait} s; is one stuck migrating?`);
    try {
      return await ds.runMigrations({ transaction: 'each' });
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [name]);
    }
  } finally {
    await runner.release();
  }
}
