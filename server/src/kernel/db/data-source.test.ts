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
});
