import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MailReplyHtml1796398779897 implements MigrationInterface {
  name = 'MailReplyHtml1796398779897';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`outgoing_mails\` ADD \`html\` mediumtext NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`outgoing_mails\` DROP COLUMN \`html\``);
  }
}
