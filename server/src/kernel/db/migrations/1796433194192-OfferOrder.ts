import type { MigrationInterface, QueryRunner } from 'typeorm';

export class OfferOrder1796433194192 implements MigrationInterface {
  name = 'OfferOrder1796433194192';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Offers already made are numbered in the order they were read back until now (time, then id);
    // new ones take the next number as they are inserted.
    await queryRunner.query(`ALTER TABLE \`offers\` ADD \`seq\` bigint UNSIGNED NULL`);
    await queryRunner.query(`UPDATE \`offers\` o JOIN (SELECT \`id\`, ROW_NUMBER() OVER (ORDER BY \`offeredAt\`, \`id\`) AS n FROM \`offers\`) r ON r.\`id\` = o.\`id\` SET o.\`seq\` = r.n`);
    await queryRunner.query(`ALTER TABLE \`offers\` MODIFY \`seq\` bigint UNSIGNED NOT NULL AUTO_INCREMENT, ADD UNIQUE INDEX \`IDX_1db2d9221f0233926190d5be88\` (\`seq\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE \`offers\` DROP COLUMN \`seq\``);
  }
}
