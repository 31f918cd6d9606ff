import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AgentAndCallbackHours1796411158327 implements MigrationInterface {
  name = 'AgentAndCallbackHours1796411158327';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`report_agent_hours\` (\`hour\` datetime NOT NULL, \`agentId\` char(32) NOT NULL, \`state\` varchar(16) NOT NULL, \`reason\` varchar(63) NOT NULL, \`ms\` bigint NOT NULL, PRIMARY KEY (\`hour\`, \`agentId\`, \`state\`, \`reason\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`report_callback_hours\` (\`hour\` datetime NOT NULL, \`queueId\` varchar(63) NOT NULL, \`websiteId\` varchar(63) NOT NULL, \`requested\` int UNSIGNED NOT NULL DEFAULT '0', \`reachedFirstAttempt\` int UNSIGNED NOT NULL DEFAULT '0', \`reachedAfterRetries\` int UNSIGNED NOT NULL DEFAULT '0', \`unreached\` int UNSIGNED NOT NULL DEFAULT '0', \`failed\` int UNSIGNED NOT NULL DEFAULT '0', \`cancelled\` int UNSIGNED NOT NULL DEFAULT '0', \`pending\` int UNSIGNED NOT NULL DEFAULT '0', PRIMARY KEY (\`hour\`, \`queueId\`, \`websiteId\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`report_callback_hours\``);
    await queryRunner.query(`DROP TABLE \`report_agent_hours\``);
  }
}
