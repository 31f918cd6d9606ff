import { randomBytes, timingSafeEqual } from 'node:crypto';
import { In, type DataSource } from 'typeorm';
import type { Config, Website } from '../../kernel/config/schema.js';
import type { Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { Interaction } from '../interactions/index.js';
import { InteractionEvent } from '../journey/index.js';
import type { InteractionSteps } from '../routing/index.js';
import { Contact } from '../contacts/index.js';
import { hashToken } from '../intake/index.js';
import { RATING_WORDS, type RatingLanguage } from './rating-words.js';

/** The channels whose closing mail asks for a rating (chats ask on the widget's end screen). */
export const MAILED_CHANNELS = ['callback', 'mail'] as const;

export interface RatingMail {
  kind: 'csat';
  /** The same key again is sent once: two instances hearing the same close send one mail. */
  dedupeKey: string;
  interactionId: string;
  to: string;
  subject: string;
  text: string;
}

export interface InviteDeps {
  db: DataSource;
  config: () => Config;
  clock: Clock;
  log: Logger;
  mailer: { queue(m: RatingMail): Promise<unknown> };
  /** Routing's lifecycle: the invitation's journey step is written there. */
  routing: Pick<InteractionSteps, 'journey'>;
}

/** A rating link's token: 256 random bits; only its hash is kept (in the `csat.invited` journey step). */
export const isRatingToken = (v: string) => /^[A-Za-z0-9_-]{43}$/.test(v);
export const ratingUrl = (config: Config, interactionId: string, token: string, lang: RatingLanguage) =>
  `${config.main.server.publicUrl.replace(/\/+$/, '')}/rate/${interactionId}/${token}?lang=${lang}`;

/** The website's language for the mail and the page: its widget's, else English. */
export const languageOf = (w: Website | undefined): RatingLanguage => (w?.look.language && w.look.language in RATING_WORDS ? (w.look.language as RatingLanguage) : 'en');

/** What the close of an interaction says about it (its bus event): all a rating invitation needs. */
export interface ClosedInteraction {
  interactionId: string;
  channel: string;
  websiteId: string | null;
  contactId: string | null;
  agentId: string | null;
}

/**
 * When a callback whose call reached the customer, or a mail ticket, an agent handled closes on a
 * website that asks for ratings, the customer gets a mail with a link to rate it (when we know
 * their address and mail is set up).
 * `closed`: the interaction's id (it is read), or its close as announced (nothing to read).
 * Returns whether a mail was queued.
 */
export async function inviteToRate(d: InviteDeps, closed: string | ClosedInteraction): Promise<boolean> {
  const config = d.config();
  if (!config.main.smtp) return false;
  const i = typeof closed === 'string' ? await d.db.getRepository(Interaction).findOneBy({ id: closed }) : { id: closed.interactionId, channel: closed.channel, state: 'closed', websiteId: closed.websiteId, contactId: closed.contactId, assignedAgentId: closed.agentId };
  if (!i || !(MAILED_CHANNELS as readonly string[]).includes(i.channel) || i.state !== 'closed' || !i.assignedAgentId || !i.contactId) return false;
  const website = config.websites.find((w) => w.id === i.websiteId);
  if (!website?.csat.enabled) return false;
  if (i.channel === 'callback' && !(await reachedCustomer(d.db, i.id))) return false;
  const contact = await d.db.getRepository(Contact).findOneBy({ id: i.contactId });
  if (!contact?.email) return false;
  const token = randomBytes(32).toString('base64url');
  await d.routing.journey(i, 'csat.invited', null, { tokenHash: hashToken(token) }, d.clock.now());
  const lang = languageOf(website);
  const w = RATING_WORDS[lang];
  await d.mailer.queue({
    kind: 'csat',
    dedupeKey: `csat:${i.id}`,
    interactionId: i.id,
    to: contact.email,
    // No ticket reference in the subject: a reply to this mail must not reopen the ticket.
    subject: `${w.mailSubject} – ${website.name}`,
    text: w.mailBody({ site: website.name, link: ratingUrl(config, i.id, token, lang) }),
  });
  return true;
}

/**
 * Whether a callback's call reached the customer. Each attempt is its own interaction, closed with
 * the agent who took it even when the customer's phone was busy or did not answer: there was no
 * call to rate then. The call's answer is in the journey before the call's end closes the
 * interaction; the attempt's outcome follows it there.
 */
async function reachedCustomer(db: DataSource, interactionId: string): Promise<boolean> {
  const steps = await db.getRepository(InteractionEvent).findBy({ interactionId, type: In(['call.answered', 'callback.attempt']) });
  return steps.some((s) => s.type === 'call.answered' || (s.data as { outcome?: unknown } | null)?.outcome === 'answered');
}

/** Whether `token` is one this interaction's rating mail carried (timing-safe, against every invitation). */
export async function tokenFits(db: DataSource, interactionId: string, token: string): Promise<boolean> {
  const steps = await db.getRepository(InteractionEvent).findBy({ interactionId, type: 'csat.invited' });
  const given = Buffer.from(hashToken(token), 'hex');
  let fits = false;
  for (const s of steps) {
    const hash = String((s.data as { tokenHash?: unknown } | null)?.tokenHash ?? '');
    const stored = /^[0-9a-f]{64}$/.test(hash) ? Buffer.from(hash, 'hex') : Buffer.alloc(32);
    if (stored.length === given.length && timingSafeEqual(stored, given)) fits = true;
  }
  return fits;
}
