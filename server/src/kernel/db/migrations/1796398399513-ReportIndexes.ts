import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReportIndexes1796398399513 implements MigrationInterface {
  name = 'ReportIndexes1796398399513';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX \`IDX_be69cc7fd276b86b32aa16b366\` ON \`interactions\` (\`queueId\`, \`queuedAt\`)`);
    await queryRunner.query(`CREATE INDEX \`IDX_e3beb0ccbf4fb136e676cde712\` ON \`interactions\` (\`queuedAt\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_e3beb0ccbf4fb136e676cde712\` ON \`interactions\``);
    await queryRunner.query(`DROP INDEX \`IDX_be69cc7fd276b86b32aa16b366\` ON \`interactions\``);
  }
}
