import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AttachmentOrder1796434693987 implements MigrationInterface {
  name = 'AttachmentOrder1796434693987';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Files already stored are numbered in the order they were read back until now (time, then id);
    // new ones take the next number as they are inserted.
    await queryRunner.query(`ALTER TABLE \`attachments\` ADD \`seq\` bigint UNSIGNED NULL`);
    await queryRunner.query(`UPDATE \`attachments\` a JOIN (SELECT \`id\`, ROW_NUMBER() OVER (ORDER BY \`createdAt\`, \`id\`) AS n FROM \`attachments\`) o ON o.\`id\` = a.\`id\` SET a.\`seq\` = o.n`);
    await queryRunner.query(`ALTER TABLE \`attachments\` MODIFY \`seq\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, ADD UNIQUE INDEX \`IDX_b149f0fc15685da44a6a7db7c8\` (\`seq\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`attachments\` DROP COLUMN \`seq\``);
  }
}
