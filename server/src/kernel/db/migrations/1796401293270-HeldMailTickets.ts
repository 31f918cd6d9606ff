import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Mail tickets are no longer left unmanaged: they are held until their queue can take them (see
 * server/src/modules/mail/held.ts). The ones an earlier version left unmanaged — messages left
 * outside hours that no agent was ever offered — become held, and the held-ticket check at start
 * queues them. They keep their `unmanaged` flag: reports still count what was unmanaged then.
 */
export class HeldMailTickets1796401293270 implements MigrationInterface {
  name = 'HeldMailTickets1796401293270';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`UPDATE \`interactions\` SET \`state\` = 'new' WHERE \`channel\` = 'mail' AND \`state\` = 'unmanaged' AND \`closedAt\` IS NULL`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // Held tickets of before this migration cannot be told from the ones it made; those not yet
    // queued go back to unmanaged, as the earlier version would have left them.
    await queryRunner.query(`UPDATE \`interactions\` SET \`state\` = 'unmanaged' WHERE \`channel\` = 'mail' AND \`state\` = 'new' AND \`unmanaged\` = 1`);
  }
}
