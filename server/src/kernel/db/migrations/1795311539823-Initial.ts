import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Initial1795311539823 implements MigrationInterface {
  name = 'Initial1795311539823';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`agents\` (\`id\` char(32) NOT NULL, \`username\` varchar(64) NOT NULL, \`displayName\` varchar(200) NOT NULL, \`email\` varchar(254) NULL, \`role\` varchar(16) NOT NULL, \`passwordHash\` varchar(255) NOT NULL, \`sessionVersion\` int NOT NULL DEFAULT '1', \`extension\` varchar(16) NULL, \`capacity\` json NOT NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`bootstrapped\` tinyint NOT NULL DEFAULT 0, \`lastLoginAt\` datetime(3) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updatedAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`IDX_661196c4c60fb3a2b93feff6af\` (\`username\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`agent_skills\` (\`agentId\` char(32) NOT NULL, \`skillId\` varchar(63) NOT NULL, \`level\` tinyint NOT NULL, PRIMARY KEY (\`agentId\`, \`skillId\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`agent_state_changes\` (\`seq\` bigint NOT NULL AUTO_INCREMENT, \`agentId\` char(32) NOT NULL, \`state\` varchar(16) NOT NULL, \`reason\` varchar(63) NULL, \`at\` datetime(3) NOT NULL, INDEX \`IDX_80f8589161402641fd4c159709\` (\`agentId\`, \`at\`), PRIMARY KEY (\`seq\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`contacts\` (\`id\` char(32) NOT NULL, \`name\` varchar(200) NULL, \`email\` varchar(254) NULL, \`phone\` varchar(40) NULL, \`customFields\` json NOT NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updatedAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX \`IDX_752866c5247ddd34fd05559537\` (\`email\`), INDEX \`IDX_84cae51c485079bdd8cdf1d828\` (\`phone\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`interactions\` (\`id\` char(32) NOT NULL, \`channel\` varchar(16) NOT NULL, \`direction\` varchar(8) NOT NULL, \`state\` varchar(16) NOT NULL, \`queueId\` varchar(63) NULL, \`websiteId\` varchar(63) NULL, \`contactId\` char(32) NULL, \`assignedAgentId\` char(32) NULL, \`routingVariables\` json NOT NULL, \`subject\` varchar(255) NULL, \`dispositionId\` varchar(63) NULL, \`unmanaged\` tinyint NOT NULL DEFAULT 0, \`offline\` tinyint NOT NULL DEFAULT 0, \`timedOut\` tinyint NOT NULL DEFAULT 0, \`visitorTokenHash\` char(64) NULL, \`queuedAt\` datetime(3) NULL, \`assignedAt\` datetime(3) NULL, \`closedAt\` datetime(3) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updatedAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), INDEX \`IDX_4bd626c3d2b2a872af396904bd\` (\`contactId\`), INDEX \`IDX_cdfb266d21523fe30024a99ae4\` (\`assignedAgentId\`), INDEX \`IDX_c1899b35781b6fbb77f86a460b\` (\`state\`, \`queueId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`offers\` (\`id\` char(32) NOT NULL, \`interactionId\` char(32) NOT NULL, \`agentId\` char(32) NOT NULL, \`state\` varchar(16) NOT NULL, \`kind\` varchar(16) NOT NULL DEFAULT 'route', \`offeredAt\` datetime(3) NOT NULL, \`expiresAt\` datetime(3) NOT NULL, \`respondedAt\` datetime(3) NULL, INDEX \`IDX_11c770366076b29ad413a54648\` (\`interactionId\`), INDEX \`IDX_711789e294e4ec67c53f55a195\` (\`agentId\`, \`state\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`callbacks\` (\`id\` char(32) NOT NULL, \`interactionId\` char(32) NOT NULL, \`phoneNumber\` varchar(32) NOT NULL, \`message\` text NULL, \`asap\` tinyint NOT NULL, \`slotStart\` datetime(3) NULL, \`slotEnd\` datetime(3) NULL, \`dueAt\` datetime(3) NOT NULL, \`state\` varchar(16) NOT NULL, \`attempts\` int NOT NULL DEFAULT '0', \`jobId\` varchar(64) NULL, \`lastCause\` varchar(64) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updatedAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`IDX_60325d979b57f0bf72d92de21b\` (\`interactionId\`), INDEX \`IDX_da1121683db2416722f5b46b92\` (\`state\`, \`dueAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`calls\` (\`id\` char(32) NOT NULL, \`interactionId\` char(32) NULL, \`kind\` varchar(24) NOT NULL, \`video\` tinyint NOT NULL DEFAULT 0, \`trunkId\` varchar(63) NULL, \`setupAt\` datetime(3) NOT NULL, \`answeredAt\` datetime(3) NULL, \`endedAt\` datetime(3) NULL, \`endCause\` varchar(64) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), INDEX \`IDX_0fffcedfaaf07d028d7a993d52\` (\`interactionId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`call_legs\` (\`id\` char(32) NOT NULL, \`callId\` char(32) NOT NULL, \`side\` varchar(8) NOT NULL, \`direction\` varchar(8) NOT NULL, \`sipCallId\` varchar(255) NOT NULL, \`localTag\` varchar(128) NULL, \`remoteTag\` varchar(128) NULL, \`remoteUri\` varchar(255) NOT NULL, \`setupAt\` datetime(3) NOT NULL, \`ringingAt\` datetime(3) NULL, \`answeredAt\` datetime(3) NULL, \`endedAt\` datetime(3) NULL, \`finalStatus\` smallint NULL, \`cause\` varchar(64) NULL, INDEX \`IDX_2a0c2b277959a0b0a16a7a9984\` (\`callId\`), INDEX \`IDX_aa47983a776fc61a5dd760d2a3\` (\`sipCallId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`messages\` (\`id\` char(32) NOT NULL, \`interactionId\` char(32) NOT NULL, \`authorKind\` varchar(8) NOT NULL, \`authorAgentId\` char(32) NULL, \`authorName\` varchar(200) NULL, \`body\` mediumtext NOT NULL, \`deliveryState\` varchar(12) NOT NULL, \`clientMessageId\` varchar(64) NULL, \`externalId\` varchar(255) NULL, \`deliveredAt\` datetime(3) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), UNIQUE INDEX \`IDX_305cd3ba41114bb93f022bc401\` (\`interactionId\`, \`clientMessageId\`), INDEX \`IDX_d405a8dbe473c3a49aad53f1db\` (\`interactionId\`, \`createdAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`attachments\` (\`id\` char(32) NOT NULL, \`interactionId\` char(32) NOT NULL, \`messageId\` char(32) NULL, \`fileName\` varchar(255) NOT NULL, \`size\` bigint NOT NULL, \`sha256\` char(64) NOT NULL, \`detectedType\` varchar(100) NOT NULL, \`storageKey\` varchar(255) NOT NULL, \`uploadedByKind\` varchar(8) NOT NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), INDEX \`IDX_055190dd2430f6b63528b1bff1\` (\`interactionId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`interaction_events\` (\`seq\` bigint NOT NULL AUTO_INCREMENT, \`contactId\` char(32) NULL, \`interactionId\` char(32) NULL, \`agentId\` char(32) NULL, \`type\` varchar(48) NOT NULL, \`data\` json NOT NULL, \`at\` datetime(3) NOT NULL, INDEX \`IDX_fc2231810727e18897decc90f5\` (\`interactionId\`, \`at\`), INDEX \`IDX_ac44e228177aac7665de1658fc\` (\`contactId\`, \`at\`), PRIMARY KEY (\`seq\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`mail_threads\` (\`id\` char(32) NOT NULL, \`interactionId\` char(32) NOT NULL, \`subject\` varchar(255) NOT NULL, \`customerAddress\` varchar(254) NOT NULL, \`rootMessageId\` varchar(255) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), \`updatedAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3), UNIQUE INDEX \`IDX_54c420d5301c005218bfeb9b80\` (\`interactionId\`), INDEX \`IDX_2f8acde9d42d870a7fdd8adc80\` (\`rootMessageId\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`queues\` (\`id\` varchar(63) NOT NULL, \`name\` varchar(200) NOT NULL, \`channel\` varchar(16) NOT NULL, \`priority\` tinyint NOT NULL, \`settings\` json NOT NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`syncedAt\` datetime(3) NOT NULL, INDEX \`IDX_cdeb1fc62d8b345cfefc27c0bb\` (\`channel\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`skills\` (\`id\` varchar(63) NOT NULL, \`name\` varchar(200) NOT NULL, \`active\` tinyint NOT NULL DEFAULT 1, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`trunks\` (\`id\` varchar(63) NOT NULL, \`name\` varchar(200) NOT NULL, \`host\` varchar(255) NOT NULL, \`port\` int NOT NULL, \`transport\` varchar(8) NOT NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`syncedAt\` datetime(3) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`reasons\` (\`kind\` varchar(16) NOT NULL, \`id\` varchar(63) NOT NULL, \`label\` varchar(200) NOT NULL, \`active\` tinyint NOT NULL DEFAULT 1, PRIMARY KEY (\`kind\`, \`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`websites\` (\`id\` varchar(63) NOT NULL, \`name\` varchar(200) NOT NULL, \`origins\` json NOT NULL, \`settings\` json NOT NULL, \`active\` tinyint NOT NULL DEFAULT 1, \`syncedAt\` datetime(3) NOT NULL, PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`ALTER TABLE \`agent_skills\` ADD CONSTRAINT \`FK_1cc2b83dd5631810bd32bd2ce96\` FOREIGN KEY (\`agentId\`) REFERENCES \`agents\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`agent_state_changes\` ADD CONSTRAINT \`FK_022db40fbb310c313373aca2351\` FOREIGN KEY (\`agentId\`) REFERENCES \`agents\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`interactions\` ADD CONSTRAINT \`FK_4bd626c3d2b2a872af396904bd3\` FOREIGN KEY (\`contactId\`) REFERENCES \`contacts\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`interactions\` ADD CONSTRAINT \`FK_cdfb266d21523fe30024a99ae43\` FOREIGN KEY (\`assignedAgentId\`) REFERENCES \`agents\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`offers\` ADD CONSTRAINT \`FK_11c770366076b29ad413a546485\` FOREIGN KEY (\`interactionId\`) REFERENCES \`interactions\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`offers\` ADD CONSTRAINT \`FK_c5244ac2994793445802c95b5a6\` FOREIGN KEY (\`agentId\`) REFERENCES \`agents\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`callbacks\` ADD CONSTRAINT \`FK_60325d979b57f0bf72d92de21bf\` FOREIGN KEY (\`interactionId\`) REFERENCES \`interactions\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`calls\` ADD CONSTRAINT \`FK_0fffcedfaaf07d028d7a993d520\` FOREIGN KEY (\`interactionId\`) REFERENCES \`interactions\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`call_legs\` ADD CONSTRAINT \`FK_2a0c2b277959a0b0a16a7a9984d\` FOREIGN KEY (\`callId\`) REFERENCES \`calls\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`messages\` ADD CONSTRAINT \`FK_7ae15343959520cb64dac0d6b4c\` FOREIGN KEY (\`interactionId\`) REFERENCES \`interactions\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`attachments\` ADD CONSTRAINT \`FK_055190dd2430f6b63528b1bff19\` FOREIGN KEY (\`interactionId\`) REFERENCES \`interactions\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`attachments\` ADD CONSTRAINT \`FK_d25de32d1398e398a082f4f5d2a\` FOREIGN KEY (\`messageId\`) REFERENCES \`messages\`(\`id\`) ON DELETE SET NULL ON UPDATE NO ACTION`);
    await queryRunner.query(`ALTER TABLE \`mail_threads\` ADD CONSTRAINT \`FK_54c420d5301c005218bfeb9b805\` FOREIGN KEY (\`interactionId\`) REFERENCES \`interactions\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`mail_threads\` DROP FOREIGN KEY \`FK_54c420d5301c005218bfeb9b805\``);
    await queryRunner.query(`ALTER TABLE \`attachments\` DROP FOREIGN KEY \`FK_d25de32d1398e398a082f4f5d2a\``);
    await queryRunner.query(`ALTER TABLE \`attachments\` DROP FOREIGN KEY \`FK_055190dd2430f6b63528b1bff19\``);
    await queryRunner.query(`ALTER TABLE \`messages\` DROP FOREIGN KEY \`FK_7ae15343959520cb64dac0d6b4c\``);
    await queryRunner.query(`ALTER TABLE \`call_legs\` DROP FOREIGN KEY \`FK_2a0c2b277959a0b0a16a7a9984d\``);
    await queryRunner.query(`ALTER TABLE \`calls\` DROP FOREIGN KEY \`FK_0fffcedfaaf07d028d7a993d520\``);
    await queryRunner.query(`ALTER TABLE \`callbacks\` DROP FOREIGN KEY \`FK_60325d979b57f0bf72d92de21bf\``);
    await queryRunner.query(`ALTER TABLE \`offers\` DROP FOREIGN KEY \`FK_c5244ac2994793445802c95b5a6\``);
    await queryRunner.query(`ALTER TABLE \`offers\` DROP FOREIGN KEY \`FK_11c770366076b29ad413a546485\``);
    await queryRunner.query(`ALTER TABLE \`interactions\` DROP FOREIGN KEY \`FK_cdfb266d21523fe30024a99ae43\``);
    await queryRunner.query(`ALTER TABLE \`interactions\` DROP FOREIGN KEY \`FK_4bd626c3d2b2a872af396904bd3\``);
    await queryRunner.query(`ALTER TABLE \`agent_state_changes\` DROP FOREIGN KEY \`FK_022db40fbb310c313373aca2351\``);
    await queryRunner.query(`ALTER TABLE \`agent_skills\` DROP FOREIGN KEY \`FK_1cc2b83dd5631810bd32bd2ce96\``);
    await queryRunner.query(`DROP TABLE \`websites\``);
    await queryRunner.query(`DROP TABLE \`reasons\``);
    await queryRunner.query(`DROP TABLE \`trunks\``);
    await queryRunner.query(`DROP TABLE \`skills\``);
    await queryRunner.query(`DROP INDEX \`IDX_cdeb1fc62d8b345cfefc27c0bb\` ON \`queues\``);
    await queryRunner.query(`DROP TABLE \`queues\``);
    await queryRunner.query(`DROP INDEX \`IDX_2f8acde9d42d870a7fdd8adc80\` ON \`mail_threads\``);
    await queryRunner.query(`DROP INDEX \`IDX_54c420d5301c005218bfeb9b80\` ON \`mail_threads\``);
    await queryRunner.query(`DROP TABLE \`mail_threads\``);
    await queryRunner.query(`DROP INDEX \`IDX_ac44e228177aac7665de1658fc\` ON \`interaction_events\``);
    await queryRunner.query(`DROP INDEX \`IDX_fc2231810727e18897decc90f5\` ON \`interaction_events\``);
    await queryRunner.query(`DROP TABLE \`interaction_events\``);
    await queryRunner.query(`DROP INDEX \`IDX_055190dd2430f6b63528b1bff1\` ON \`attachments\``);
    await queryRunner.query(`DROP TABLE \`attachments\``);
    await queryRunner.query(`DROP INDEX \`IDX_d405a8dbe473c3a49aad53f1db\` ON \`messages\``);
    await queryRunner.query(`DROP INDEX \`IDX_305cd3ba41114bb93f022bc401\` ON \`messages\``);
    await queryRunner.query(`DROP TABLE \`messages\``);
    await queryRunner.query(`DROP INDEX \`IDX_aa47983a776fc61a5dd760d2a3\` ON \`call_legs\``);
    await queryRunner.query(`DROP INDEX \`IDX_2a0c2b277959a0b0a16a7a9984\` ON \`call_legs\``);
    await queryRunner.query(`DROP TABLE \`call_legs\``);
    await queryRunner.query(`DROP INDEX \`IDX_0fffcedfaaf07d028d7a993d52\` ON \`calls\``);
    await queryRunner.query(`DROP TABLE \`calls\``);
    await queryRunner.query(`DROP INDEX \`IDX_da1121683db2416722f5b46b92\` ON \`callbacks\``);
    await queryRunner.query(`DROP INDEX \`IDX_60325d979b57f0bf72d92de21b\` ON \`callbacks\``);
    await queryRunner.query(`DROP TABLE \`callbacks\``);
    await queryRunner.query(`DROP INDEX \`IDX_711789e294e4ec67c53f55a195\` ON \`offers\``);
    await queryRunner.query(`DROP INDEX \`IDX_11c770366076b29ad413a54648\` ON \`offers\``);
    await queryRunner.query(`DROP TABLE \`offers\``);
    await queryRunner.query(`DROP INDEX \`IDX_c1899b35781b6fbb77f86a460b\` ON \`interactions\``);
    await queryRunner.query(`DROP INDEX \`IDX_cdfb266d21523fe30024a99ae4\` ON \`interactions\``);
    await queryRunner.query(`DROP INDEX \`IDX_4bd626c3d2b2a872af396904bd\` ON \`interactions\``);
    await queryRunner.query(`DROP TABLE \`interactions\``);
    await queryRunner.query(`DROP INDEX \`IDX_84cae51c485079bdd8cdf1d828\` ON \`contacts\``);
    await queryRunner.query(`DROP INDEX \`IDX_752866c5247ddd34fd05559537\` ON \`contacts\``);
    await queryRunner.query(`DROP TABLE \`contacts\``);
    await queryRunner.query(`DROP INDEX \`IDX_80f8589161402641fd4c159709\` ON \`agent_state_changes\``);
    await queryRunner.query(`DROP TABLE \`agent_state_changes\``);
    await queryRunner.query(`DROP TABLE \`agent_skills\``);
    await queryRunner.query(`DROP INDEX \`IDX_661196c4c60fb3a2b93feff6af\` ON \`agents\``);
    await queryRunner.query(`DROP TABLE \`agents\``);
  }
}
