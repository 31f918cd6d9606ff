import { randomBytes } from 'node:crypto';
import { xml, type XmlElement } from '@xmpp/client';
import { HttpError } from '../../kernel/http/errors.js';
import type { XmppConnection } from './xmpp.js';
import { clientInterface } from './prosody-config.js';
import type { SwitchboardFile } from '../../kernel/config/schema.js';

const COMMANDS = 'http://jabber.org/protocol/commands';
const ADMIN = 'http://jabber.org/protocol/admin';

export interface XmppAccount {
  jid: string;
  password: string;
  /** Where an XMPP client connects (Prosody's client port). */
  host: string;
  port: number;
  /** Prosody accepts nothing before TLS: STARTTLS on `port`. */
  tls: 'starttls';
  /** Direct TLS (XEP-0368, `xmpps`) on this port when `xmpp.directTlsPort` is set, else null. */
  directTlsPort: number | null;
}

/** An agent's XMPP account (the relay invites it to that agent's chats). */
export function agentXmppJid(xmpp: { domain: string }, agentId: string): string {
  return `agent-${agentId}@${xmpp.domain}`;
}

/** Where clients are told to connect: the client interface, or the domain when it is a wildcard. */
export function clientEndpoint(xmpp: SwitchboardFile['xmpp']): Pick<XmppAccount, 'host' | 'port' | 'tls' | 'directTlsPort'> {
  const at = clientInterface(xmpp);
  return { host: ['0.0.0.0', '::', '[::]'].includes(at) ? xmpp.domain : at, port: xmpp.port, tls: 'starttls', directTlsPort: xmpp.directTlsPort ?? null };
}

/**
 * Agents' own XMPP accounts on Prosody, so that any XMPP client can take part in the chats
 * assigned to them. Created and re-keyed with XEP-0133 ad-hoc commands (add-user, then
 * change-user-password when it exists) sent from the relay's owner JID, an admin in Prosody's
 * configuration. Switchboard never stores the password: it is shown once, to whoever asked.
 */
export class ChatXmppAccounts {
  constructor(private readonly xmpp: XmppConnection, private readonly relay: { agentJid(agentId: string): string }) {}

  async newPassword(agentId: string): Promise<XmppAccount> {
    if (!this.xmpp.isOnline) throw new HttpError(503, 'xmpp_unavailable', 'The chat server (XMPP) is not reachable right now; try again in a moment.');
    const jid = this.relay.agentJid(agentId);
    const password = randomBytes(18).toString('base64url');
    const added = await this.command('add-user', { accountjid: jid, password, 'password-verify': password });
    if (added !== null) {
      const changed = await this.command('change-user-password', { accountjid: jid, password });
      if (changed !== null) throw new HttpError(502, 'xmpp_refused', `The chat server refused to set the XMPP password: ${changed}`);
    }
    return { jid, password, ...clientEndpoint(this.xmpp.cfg) };
  }

  /** Runs an admin command (execute, then submit its form); null when done, else the server's error note. */
  private async command(name: string, fields: Record<string, string>): Promise<string | null> {
    const node = `${ADMIN}#${name}`;
    const to = this.xmpp.cfg.domain;
    const from = this.xmpp.owner;
    const first = await this.xmpp.request(xml('iq', { type: 'set', to, from }, xml('command', { xmlns: COMMANDS, node, action: 'execute' })));
    const sessionid = first.getChild('command', COMMANDS)?.attrs.sessionid;
    const form = xml(
      'x',
      { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, ADMIN)),
      ...Object.entries(fields).map(([k, v]) => xml('field', { var: k }, xml('value', {}, v))),
    );
    const done = await this.xmpp.request(xml('iq', { type: 'set', to, from }, xml('command', { xmlns: COMMANDS, node, sessionid }, form)));
    const note = done.getChild('command', COMMANDS)?.getChild('note') as XmlElement | undefined;
    return note?.attrs.type === 'error' ? note.getText() : null;
  }
}
