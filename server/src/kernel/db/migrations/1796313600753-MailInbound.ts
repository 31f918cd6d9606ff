import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MailInbound1796313600753 implements MigrationInterface {
  name = 'MailInbound1796313600753';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`incoming_mails\` (\`id\` char(32) NOT NULL, \`mailbox\` varchar(255) NOT NULL, \`uidValidity\` bigint NOT NULL, \`uid\` bigint NOT NULL, \`headerMessageId\` varchar(255) NULL, \`interactionId\` char(32) NULL, \`messageId\` char(32) NULL, \`outcome\` varchar(12) NOT NULL, \`html\` mediumtext NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), INDEX \`IDX_8c9c9f3a3d902bacedbf154c71\` (\`headerMessageId\`), INDEX \`IDX_80b0953a7e3b008e7aa00b559b\` (\`interactionId\`), UNIQUE INDEX \`IDX_087c6a77475527a77cf6c0a520\` (\`mailbox\`, \`uidValidity\`, \`uid\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`ALTER TABLE \`mail_threads\` ADD \`firstThreadId\` char(32) NULL`);
    await queryRunner.query(`ALTER TABLE \`mail_threads\` ADD \`previousInteractionId\` char(32) NULL`);
    await queryRunner.query(`CREATE INDEX \`IDX_2d255b00246cdcf626059ed72d\` ON \`mail_threads\` (\`firstThreadId\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_2d255b00246cdcf626059ed72d\` ON \`mail_threads\``);
    await queryRunner.query(`ALTER TABLE \`mail_threads\` DROP COLUMN \`previousInteractionId\``);
    await queryRunner.query(`ALTER TABLE \`mail_threads\` DROP COLUMN \`firstThreadId\``);
    await queryRunner.query(`DROP INDEX \`IDX_087c6a77475527a77cf6c0a520\` ON \`incoming_mails\``);
    await queryRunner.query(`DROP INDEX \`IDX_80b0953a7e3b008e7aa00b559b\` ON \`incoming_mails\``);
    await queryRunner.query(`DROP INDEX \`IDX_8c9c9f3a3d902bacedbf154c71\` ON \`incoming_mails\``);
    await queryRunner.query(`DROP TABLE \`incoming_mails\``);
  }
}
