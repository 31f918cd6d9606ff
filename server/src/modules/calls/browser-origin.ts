import type { SwitchboardFile } from '../../kernel/config/schema.js';

/**
 * The Content-Security-Policy connect-src entries that let a page (agent desktop, widget frame)
 * open the SIP engine's WebSocket, which listens on its own port and so is another origin.
 * Empty when SIP is off: no page gets a door it has no use for.
 */
export function sipConnectSources(sip: SwitchboardFile['sip']): string {
  if (!sip.enabled) return '';
  const host = sip.publicHost ?? sip.host;
  return ` ws://${host}:* wss://${host}:*`;
}
