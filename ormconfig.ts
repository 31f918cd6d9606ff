// The TypeORM DataSource, for TypeORM's own CLI (e.g. `npx typeorm migration:show -d ormconfig.ts`).
// It reads the same validated configuration as the server, from $SWITCHBOARD_CONFIG_DIR or ./config,
// and uses the compiled server (run `npm run build` first); Node 24 runs this file directly.
import { loadConfig } from './server/dist/kernel/config/load.js';
import { createDataSource } from './server/dist/kernel/db/data-source.js';
import { entities } from './server/dist/entities.js';

const config = loadConfig(process.env.SWITCHBOARD_CONFIG_DIR ?? 'config');

export default createDataSource(config.main.database, entities);
