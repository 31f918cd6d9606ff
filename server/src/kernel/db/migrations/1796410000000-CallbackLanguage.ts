import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CallbackLanguage1796410000000 implements MigrationInterface {
  name = 'CallbackLanguage1796410000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`callbacks\` ADD \`language\` varchar(5) NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`callbacks\` DROP COLUMN \`language\``);
  }
}
