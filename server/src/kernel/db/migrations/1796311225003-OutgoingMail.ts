import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OutgoingMail1796311225003 implements MigrationInterface {
  name = 'OutgoingMail1796311225003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`outgoing_mails\` (\`id\` char(32) NOT NULL, \`kind\` varchar(12) NOT NULL, \`dedupeKey\` varchar(191) NOT NULL, \`interactionId\` char(32) NULL, \`messageId\` char(32) NULL, \`toAddress\` varchar(254) NOT NULL, \`replyTo\` varchar(254) NULL, \`subject\` varchar(500) NOT NULL, \`text\` mediumtext NOT NULL, \`headerMessageId\` varchar(255) NOT NULL, \`inReplyTo\` varchar(255) NULL, \`references\` text NULL, \`attachmentIds\` json NOT NULL, \`state\` varchar(8) NOT NULL, \`attempts\` int NOT NULL DEFAULT '0', \`lastError\` varchar(500) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`sentAt\` datetime(3) NULL, UNIQUE INDEX \`IDX_e47454f69437217a9c857f1867\` (\`dedupeKey\`), INDEX \`IDX_f9af5346238490473d6ca56ce0\` (\`interactionId\`), INDEX \`IDX_96cce71df6799ad33a9058046d\` (\`messageId\`), INDEX \`IDX_b250825d23ddace26c73ed17f4\` (\`state\`, \`createdAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_b250825d23ddace26c73ed17f4\` ON \`outgoing_mails\``);
    await queryRunner.query(`DROP INDEX \`IDX_96cce71df6799ad33a9058046d\` ON \`outgoing_mails\``);
    await queryRunner.query(`DROP INDEX \`IDX_f9af5346238490473d6ca56ce0\` ON \`outgoing_mails\``);
    await queryRunner.query(`DROP INDEX \`IDX_e47454f69437217a9c857f1867\` ON \`outgoing_mails\``);
    await queryRunner.query(`DROP TABLE \`outgoing_mails\``);
  }
}
