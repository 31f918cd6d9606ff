// An agent's call invitation at the top of the conversation: announced, with Join and Decline,
// gone when answered, withdrawn, expired or failed (with a one-line notice saying which).
import type { CallInvitePayload } from '@switchboard/protocol';
import { h, clear } from '../dom';
import { t } from '../i18n';

export type InviteNotice = 'inviteCancelled' | 'inviteExpired' | 'inviteFailed';

export interface InviteHooks {
  /** The message box: focus returns there, and a visitor typing in it keeps the keyboard. */
  composer: HTMLTextAreaElement;
  join(invite: CallInvitePayload): void;
  decline(invite: CallInvitePayload): void;
  notice(): void;
}

export class InviteCard {
  readonly el = h('div', { class: 'sb-invite-slot', 'aria-live': 'assertive' });
  private current: { id: string; timer: ReturnType<typeof setTimeout> } | null = null;

  constructor(private readonly hooks: InviteHooks) {}

  /** The invitation on show, if any. */
  get id(): string | null {
    return this.current?.id ?? null;
  }

  /** Shows a pending invitation with Join and Decline; any other state takes it away. */
  show(inv: CallInvitePayload): void {
    if (inv.state === 'pending') {
      const left = Date.parse(inv.expiresAt) - Date.now();
      if (left <= 0) return;
      this.drop(null);
      const textId = `sb-invite-${inv.inviteId.slice(0, 8)}`;
      const name = inv.agentName ?? t('agent');
      // Join keeps the card: the server's "accepted" takes it away, and a visitor who could not
      // open their devices finds it again on the way back.
      const join = h('button', { type: 'button', class: 'sb-primary sb-invite-join', 'aria-describedby': textId, onclick: () => this.hooks.join(inv) }, t('join'));
      const decline = h('button', { type: 'button', class: 'sb-secondary sb-invite-decline', 'aria-describedby': textId, onclick: () => {
        this.hooks.decline(inv);
        this.drop(null);
        this.hooks.composer.focus();
      } }, t('decline'));
      this.el.append(h('div', { class: 'sb-invite', role: 'group', 'aria-labelledby': textId }, h('p', { id: textId }, t(inv.video ? 'inviteVideo' : 'inviteCall', { name })), h('div', { class: 'sb-row' }, join, decline)));
      this.current = { id: inv.inviteId, timer: setTimeout(() => this.drop('inviteExpired'), left) };
      this.hooks.notice();
      // Focus goes to Join, unless the visitor is writing: a space or Enter meant for the message
      // must not start their camera. The live region announces the invitation either way.
      if (this.el.isConnected && !this.hooks.composer.value) join.focus();
      return;
    }
    if (this.current?.id !== inv.inviteId) return;
    const notice = inv.state === 'cancelled' ? 'inviteCancelled' : inv.state === 'expired' ? 'inviteExpired' : inv.state === 'failed' ? 'inviteFailed' : null;
    this.drop(notice);
  }

  /** A one-line notice in the invitation's place (a call that ended, and why). */
  note(text: string): void {
    this.drop(null);
    this.el.append(h('p', { class: 'sb-invite-notice' }, text));
  }

  drop(notice: InviteNotice | null): void {
    if (this.current) clearTimeout(this.current.timer);
    this.current = null;
    const hadFocus = this.el.contains(document.activeElement);
    clear(this.el);
    if (notice) this.el.append(h('p', { class: 'sb-invite-notice' }, t(notice)));
    if (hadFocus) this.hooks.composer.focus();
  }
}
