import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ChatDeliveryIndex1795315019567 implements MigrationInterface {
  name = 'ChatDeliveryIndex1795315019567';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX \`IDX_17f414943170bf0e832ca91ef9\` ON \`messages\` (\`deliveryState\`, \`createdAt\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_17f414943170bf0e832ca91ef9\` ON \`messages\``);
  }
}
