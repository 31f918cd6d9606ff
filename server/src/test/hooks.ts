import './env.js';
import { TEST_DB } from './env.js';
import { testConfig } from './config.js';
import { createDatabase, dropDatabase } from '../kernel/db/admin.js';

// Root hooks: one fresh database for the whole run, dropped at the end.
export const mochaHooks = {
  async beforeAll(this: Mocha.Context) {
    this.timeout(60000);
    await createDatabase(testConfig().main.database, TEST_DB, true);
  },
  async afterAll(this: Mocha.Context) {
    if (!process.env.SWITCHBOARD_KEEP_TEST_DB) await dropDatabase(testConfig().main.database, TEST_DB);
  },
};
