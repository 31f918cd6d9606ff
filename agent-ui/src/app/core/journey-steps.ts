import type { MessageKey } from './i18n/en';

/** Journey event types the desktop has words for; any other type is shown as the server names it. */
export const KNOWN_STEPS: ReadonlySet<string> = new Set(['created', 'queued', 'offered', 'assigned', 'transferred', 'closed', 'abandoned', 'unmanaged', 'conference.requested', 'conference.started', 'conference.ended', 'chat.form', 'mail.form', 'offline.form', 'callback.requested', 'call.requested', 'call.ringing', 'call.answered', 'call.ended', 'transcript.requested', 'requeued', 'call.invite.sent', 'call.invite.accepted']);

export function stepLabel(t: (key: MessageKey) => string, type: string): string {
  return KNOWN_STEPS.has(type) ? t(('journey.' + type) as MessageKey) : type;
}
