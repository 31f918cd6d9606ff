import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CallbackAttempts1796313055022 implements MigrationInterface {
  name = 'CallbackAttempts1796313055022';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`callback_attempts\` (\`id\` char(32) NOT NULL, \`callbackId\` char(32) NOT NULL, \`attempt\` int NOT NULL, \`interactionId\` char(32) NOT NULL, \`agentId\` char(32) NULL, \`callId\` char(32) NULL, \`dialled\` varchar(40) NOT NULL, \`outcome\` varchar(16) NOT NULL, \`cause\` varchar(64) NULL, \`startedAt\` datetime(3) NOT NULL, \`endedAt\` datetime(3) NULL, UNIQUE INDEX \`IDX_776339058eef09aa6becf19c5b\` (\`callbackId\`, \`attempt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
    await queryRunner.query(`ALTER TABLE \`callback_attempts\` ADD CONSTRAINT \`FK_9689b209bd1c05bf2905b9a0379\` FOREIGN KEY (\`callbackId\`) REFERENCES \`callbacks\`(\`id\`) ON DELETE CASCADE ON UPDATE NO ACTION`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`callback_attempts\` DROP FOREIGN KEY \`FK_9689b209bd1c05bf2905b9a0379\``);
    await queryRunner.query(`DROP INDEX \`IDX_776339058eef09aa6becf19c5b\` ON \`callback_attempts\``);
    await queryRunner.query(`DROP TABLE \`callback_attempts\``);
  }
}
