import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReportDays1796411960391 implements MigrationInterface {
  name = 'ReportDays1796411960391';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`report_days\` (\`offered\` int UNSIGNED NOT NULL DEFAULT '0', \`answered\` int UNSIGNED NOT NULL DEFAULT '0', \`abandoned\` int UNSIGNED NOT NULL DEFAULT '0', \`unmanaged\` int UNSIGNED NOT NULL DEFAULT '0', \`transferred\` int UNSIGNED NOT NULL DEFAULT '0', \`answeredWithinThreshold\` int UNSIGNED NOT NULL DEFAULT '0', \`rated\` int UNSIGNED NOT NULL DEFAULT '0', \`ratedSatisfied\` int UNSIGNED NOT NULL DEFAULT '0', \`csatSum\` int UNSIGNED NOT NULL DEFAULT '0', \`toAnswerCount\` int UNSIGNED NOT NULL DEFAULT '0', \`toAnswerMs\` bigint NOT NULL DEFAULT '0', \`handleCount\` int UNSIGNED NOT NULL DEFAULT '0', \`handleMs\` bigint NOT NULL DEFAULT '0', \`abandonedAfterCount\` int UNSIGNED NOT NULL DEFAULT '0', \`abandonedAfterMs\` bigint NOT NULL DEFAULT '0', \`wrapUpCount\` int UNSIGNED NOT NULL DEFAULT '0', \`wrapUpMs\` bigint NOT NULL DEFAULT '0', \`firstResponseCount\` int UNSIGNED NOT NULL DEFAULT '0', \`firstResponseMs\` bigint NOT NULL DEFAULT '0', \`resolutionCount\` int UNSIGNED NOT NULL DEFAULT '0', \`resolutionMs\` bigint NOT NULL DEFAULT '0', \`queueId\` varchar(63) NOT NULL, \`day\` datetime NOT NULL, \`channel\` varchar(16) NOT NULL, PRIMARY KEY (\`queueId\`, \`day\`, \`channel\`)) ENGINE=InnoDB`);
    await queryRunner.query(`CREATE TABLE \`report_day_times\` (\`queueId\` varchar(63) NOT NULL, \`day\` datetime NOT NULL, \`channel\` varchar(16) NOT NULL, \`measure\` varchar(16) NOT NULL, \`bin\` int NOT NULL, \`n\` int UNSIGNED NOT NULL DEFAULT '0', PRIMARY KEY (\`queueId\`, \`day\`, \`channel\`, \`measure\`, \`bin\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE \`report_day_times\``);
    await queryRunner.query(`DROP TABLE \`report_days\``);
  }
}
