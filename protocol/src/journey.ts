/**
 * Every kind of step the customer journey records (`interaction_events.type`). The server can
 * write no other (its entity is typed with this), and the desktop's dictionaries must have words
 * for each (`journey.<type>`, checked when the desktop compiles), so an agent never reads a key.
 */
export const JOURNEY_TYPES = [
  'created',
  'queued',
  'requeued',
  'overflowed',
  'offered',
  'offer.rejected',
  'offer.timeout',
  'offer.withdrawn',
  'assigned',
  'transferred',
  'closed',
  'abandoned',
  'unmanaged',
  'conference.requested',
  'conference.started',
  'conference.ended',
  'chat.form',
  'mail.form',
  'offline.form',
  'offline.forwarded',
  'offline.forward-failed',
  'callback.requested',
  'callback.due',
  'callback.deferred',
  'callback.dialling',
  'callback.attempt',
  'callback.answered',
  'callback.retry',
  'callback.unreached',
  'callback.cancelled',
  'callback.rescheduled',
  'callback.closed',
  'callback.kept-place',
  'call.requested',
  'call.inbound',
  'call.ringing',
  'call.answered',
  'call.held',
  'call.resumed',
  'call.ended',
  'call.invite.sent',
  'call.invite.accepted',
  'transcript.requested',
  'transcript.sent',
  'mail.queued',
  'mail.sent',
  'mail.failed',
  'mail.received',
  'mail.reopened',
  'mail.held',
  'csat.invited',
  'csat.rated',
] as const;
export type JourneyType = (typeof JOURNEY_TYPES)[number];

/**
 * A text from the server's configuration (queue names, Not-ready reasons, dispositions, the
 * widget's title, form labels, bot options): one string for every language, or one per language.
 * The reader picks their language, else English, else the first given.
 */
export type ConfigText = string | Partial<Record<'en' | 'it' | 'fr', string>>;
