import type { MigrationInterface, QueryRunner } from 'typeorm';

export class MessageOrder1796432424859 implements MigrationInterface {
  name = 'MessageOrder1796432424859';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Lines already stored are numbered in the order they were read back until now (time, then id);
    // new ones take the next number as they are inserted.
    await queryRunner.query(`ALTER TABLE \`messages\` ADD \`seq\` bigint UNSIGNED NULL`);
    await queryRunner.query(`UPDATE \`messages\` m JOIN (SELECT \`id\`, ROW_NUMBER() OVER (ORDER BY \`createdAt\`, \`id\`) AS n FROM \`messages\`) o ON o.\`id\` = m.\`id\` SET m.\`seq\` = o.n`);
    await queryRunner.query(`ALTER TABLE \`messages\` MODIFY \`seq\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, ADD UNIQUE INDEX \`IDX_c4378a3eb6c431f6eca96e4c0d\` (\`seq\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`messages\` DROP COLUMN \`seq\``);
  }
}
