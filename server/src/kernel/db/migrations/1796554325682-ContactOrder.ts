import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ContactOrder1796554325682 implements MigrationInterface {
  name = 'ContactOrder1796554325682';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX \`IDX_6710ea5fa60f8ac0b489b9fd27\` ON \`contacts\` (\`updatedAt\`, \`id\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_6710ea5fa60f8ac0b489b9fd27\` ON \`contacts\``);
  }
}
