import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReportBuckets1796409554532 implements MigrationInterface {
  name = 'ReportBuckets1796409554532';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`report_buckets\` (\`queueId\` varchar(63) NOT NULL, \`hour\` datetime NOT NULL, \`channel\` varchar(16) NOT NULL, \`agentId\` varchar(32) NOT NULL, \`websiteId\` varchar(63) NOT NULL, \`offered\` int UNSIGNED NOT NULL DEFAULT '0', \`answered\` int UNSIGNED NOT NULL DEFAULT '0', \`abandoned\` int UNSIGNED NOT NULL DEFAULT '0', \`unmanaged\` int UNSIGNED NOT NULL DEFAULT '0', \`transferred\` int UNSIGNED NOT NULL DEFAULT '0', \`answeredWithinThreshold\` int UNSIGNED NOT NULL DEFAULT '0', \`rated\` int UNSIGNED NOT NULL DEFAULT '0', \`ratedSatisfied\` int UNSIGNED NOT NULL DEFAULT '0', \`csatSum\` int UNSIGNED NOT NULL DEFAULT '0', \`toAnswerCount\` int UNSIGNED NOT NULL DEFAULT '0', \`toAnswerMs\` bigint NOT NULL DEFAULT '0', \`handleCount\` int UNSIGNED NOT NULL DEFAULT '0', \`handleMs\` bigint NOT NULL DEFAULT '0', \`abandonedAfterCount\` int UNSIGNED NOT NULL DEFAULT '0', \`abandonedAfterMs\` bigint NOT NULL DEFAULT '0', \`wrapUpCount\` int UNSIGNED NOT NULL DEFAULT '0', \`wrapUpMs\` bigint NOT NULL DEFAULT '0', \`firstResponseCount\` int UNSIGNED NOT NULL DEFAULT '0', \`firstResponseMs\` bigint NOT NULL DEFAULT '0', \`resolutionCount\` int UNSIGNED NOT NULL DEFAULT '0', \`resolutionMs\` bigint NOT NULL DEFAULT '0', INDEX \`IDX_d548523c41a7325b583e7d9338\` (\`hour\`), PRIMARY KEY (\`queueId\`, \`hour\`, \`channel\`, \`agentId\`, \`websiteId\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`report_bucket_times\` (\`queueId\` varchar(63) NOT NULL, \`hour\` datetime NOT NULL, \`channel\` varchar(16) NOT NULL, \`agentId\` varchar(32) NOT NULL, \`websiteId\` varchar(63) NOT NULL, \`measure\` varchar(16) NOT NULL, \`bin\` int NOT NULL, \`n\` int UNSIGNED NOT NULL DEFAULT '0', INDEX \`IDX_bea4674541131c4c2a64be6678\` (\`hour\`), PRIMARY KEY (\`queueId\`, \`hour\`, \`channel\`, \`agentId\`, \`websiteId\`, \`measure\`, \`bin\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`report_hours\` (\`hour\` datetime NOT NULL, \`dirty\` int UNSIGNED NOT NULL DEFAULT '0', \`dueAt\` datetime(3) NULL, \`builtAt\` datetime(3) NULL, INDEX \`IDX_87061790b22b56064ede1b3208\` (\`dirty\`, \`dueAt\`), PRIMARY KEY (\`hour\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`report_watermarks\` (\`source\` varchar(32) NOT NULL, \`position\` varchar(40) NOT NULL, PRIMARY KEY (\`source\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`report_watermarks\``);
    await queryRunner.query(`DROP INDEX \`IDX_87061790b22b56064ede1b3208\` ON \`report_hours\``);
    await queryRunner.query(`DROP TABLE \`report_hours\``);
    await queryRunner.query(`DROP INDEX \`IDX_bea4674541131c4c2a64be6678\` ON \`report_bucket_times\``);
    await queryRunner.query(`DROP TABLE \`report_bucket_times\``);
    await queryRunner.query(`DROP INDEX \`IDX_d548523c41a7325b583e7d9338\` ON \`report_buckets\``);
    await queryRunner.query(`DROP TABLE \`report_buckets\``);
  }
}
