import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ReportStateIndex1796401535415 implements MigrationInterface {
  name = 'ReportStateIndex1796401535415';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE INDEX \`IDX_b185dfd14465593d0c53c0974e\` ON \`agent_state_changes\` (\`at\`, \`state\`, \`agentId\`)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX \`IDX_b185dfd14465593d0c53c0974e\` ON \`agent_state_changes\``);
  }
}
