import { expect } from 'chai';
import type { DataSource } from 'typeorm';
import { testConfig } from '../../test/config.js';
import { createDataSource } from './data-source.js';

describe('database connection', () => {
  let db: DataSource;
  before(async () => {
    db = createDataSource(testConfig().main.database, []);
    await db.initialize();
  });
  after(() => db.destroy());

  it('gives a failed statement an error whose stack names the code that sent it', async () => {
    async function readsAMissingColumn(): Promise<void> {
      await db.query('SELECT noSuchColumn + ?', [1]);
    }
    const err = await readsAMissingColumn().then(
      () => null,
      (e: Error & { code?: string }) => e,
    );
    expect(err?.code).to.equal('ER_BAD_FIELD_ERROR');
    expect(err?.stack).to.match(/at async readsAMissingColumn /);
  });

  it('reaches the database over its Unix socket when the configuration names one', async () => {
    const [{ socket }] = (await db.query('SELECT @@socket AS socket')) as { socket: string }[];
    const local = createDataSource({ ...testConfig().main.database, host: '203.0.113.1', socketPath: socket }, []);
    await local.initialize();
    try {
      // The server names a client on its socket "localhost", one over TCP by its address and port.
      const [{ host }] = (await local.query('SELECT HOST AS host FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()')) as { host: string }[];
      expect(host).to.equal('localhost');
    } finally {
      await local.destroy();
    }
  });
});
