import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CallbackToken1796398119384 implements MigrationInterface {
  name = 'CallbackToken1796398119384';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`callbacks\` ADD \`tokenHash\` char(64) NULL`);
    await queryRunner.query(`ALTER TABLE \`callbacks\` ADD UNIQUE INDEX \`IDX_240fb98b848109be2e2895fd51\` (\`tokenHash\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`callbacks\` DROP INDEX \`IDX_240fb98b848109be2e2895fd51\``);
    await queryRunner.query(`ALTER TABLE \`callbacks\` DROP COLUMN \`tokenHash\``);
  }
}
