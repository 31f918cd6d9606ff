import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CsatRatings1796402839626 implements MigrationInterface {
  name = 'CsatRatings1796402839626';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE TABLE \`csat_ratings\` (\`id\` char(32) NOT NULL, \`interactionId\` char(32) NOT NULL, \`websiteId\` varchar(63) NULL, \`channel\` varchar(16) NOT NULL, \`queueId\` varchar(63) NULL, \`agentId\` char(32) NULL, \`rating\` tinyint NOT NULL, \`comment\` varchar(1000) NULL, \`createdAt\` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), UNIQUE INDEX \`IDX_40a4943b17edf49484ca1559fd\` (\`interactionId\`), INDEX \`IDX_f6f97568fa15318a423d88ae5e\` (\`agentId\`, \`createdAt\`), INDEX \`IDX_b0c536038f83093aeecd673c84\` (\`createdAt\`), PRIMARY KEY (\`id\`)) ENGINE=InnoDB`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_b0c536038f83093aeecd673c84\` ON \`csat_ratings\``);
    await queryRunner.query(`DROP INDEX \`IDX_f6f97568fa15318a423d88ae5e\` ON \`csat_ratings\``);
    await queryRunner.query(`DROP INDEX \`IDX_40a4943b17edf49484ca1559fd\` ON \`csat_ratings\``);
    await queryRunner.query(`DROP TABLE \`csat_ratings\``);
  }
}
