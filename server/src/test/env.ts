// Test settings, shared by every test file of a run. Each run gets its own database and Redis
// key prefix, so concurrent runs on one machine (developers, CI) never see each other's data.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const RUN_ID = `${process.pid}`;
export const TEST_DB = `switchboard_test_${RUN_ID}`;
export const ADMIN_PASSWORD = 'test-admin-password';
// Tests own this variable: the scripts export the machine's generated one, which tests must not use.
process.env.SWITCHBOARD_ADMIN_PASSWORD = ADMIN_PASSWORD;
