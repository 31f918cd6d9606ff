import type { MigrationInterface, QueryRunner } from 'typeorm';

export class WatermarkRow1796434025769 implements MigrationInterface {
  name = 'WatermarkRow1796434025769';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Kept as they are: a time alone still reads as "after every row of that time".
    await queryRunner.query(`ALTER TABLE \`report_watermarks\` MODIFY \`position\` varchar(80) NOT NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE \`report_watermarks\` SET \`position\` = SUBSTRING_INDEX(\`position\`, ' ', 1)`);
    await queryRunner.query(`ALTER TABLE \`report_watermarks\` MODIFY \`position\` varchar(40) NOT NULL`);
  }
}
