// Developer tool: writes a migration with the SQL that brings a database migrated to the latest
// migration up to the current entities. Runs against a scratch database it creates and drops.
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './kernel/config/load.js';
import { createDataSource } from './kernel/db/data-source.js';
import { createDatabase, dropDatabase } from './kernel/db/admin.js';
import { entities } from './entities.js';

const name = process.argv[2];
if (!name || !/^[A-Z][A-Za-z0-9]+$/.test(name)) {
  process.stderr.write('usage: generate-migration <PascalCaseName>\n');
  process.exit(2);
}
const config = loadConfig(process.env.SWITCHBOARD_CONFIG_DIR ?? "../config");
const scratch = `${config.main.database.name}_migration_scratch`;
await createDatabase(config.main.database, scratch, true);
const ds = createDataSource(config.main.database, entities, { databaseOverride: scratch });
await ds.initialize();
try {
  await ds.runMigrations();
  const sql = await ds.driver.createSchemaBuilder().log();
  if (sql.upQueries.length === 0) {
    process.stdout.write('entities and migrations agree: nothing to generate\n');
    process.exit(0);
  }
  const stamp = Date.now();
  const className = `${name}${stamp}`;
  const q = (s: string) => '`' + s.replace(/[`\\$]/g, (c) => '\\' + c) + '`';
  const up = sql.upQueries.map((x) => `    await queryRunner.query(${q(x.query)});`).join('\n');
  const down = sql.downQueries.reverse().map((x) => `    await queryRunner.query(${q(x.query)});`).join('\n');
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = path.resolve(here, '../src/kernel/db/migrations');
  const file = `${stamp}-${name}.ts`;
  writeFileSync(
    path.join(dir, file),
    `import type { MigrationInterface, QueryRunner } from 'typeorm';\n\nexport class ${className} implements MigrationInterface {\n  name = '${className}';\n\n  async up(queryRunner: QueryRunner): Promise<void> {\n${up}\n  }\n\n  async down(queryRunner: QueryRunner): Promise<void> {\n${down}\n  }\n}\n`,
  );
  const indexFile = path.join(dir, 'index.ts');
  const index = readFileSync(indexFile, 'utf8')
    .replace(/^(\/\/.*\n)/, `$1import { ${className} } from './${stamp}-${name}.js';\n`)
    .replace(/= \[(.*)\];/s, (_m, list: string) => `= [${list.trim() ? list.trim().replace(/,?\s*$/, ', ') : ''}${className}];`);
  writeFileSync(indexFile, index);
  process.stdout.write(`wrote src/kernel/db/migrations/${file}\n`);
} finally {
  await ds.destroy();
  await dropDatabase(config.main.database, scratch);
}
