import { randomBytes } from 'node:crypto';
import type { Config, Website } from '../../kernel/config/schema.js';
import { hashToken, reference } from '../intake/index.js';
import type { Callback } from './callback.entity.js';
import type { Interaction } from '../interactions/index.js';
import type { CallbacksDeps, CallbacksKit } from './types.js';

type Language = 'en' | 'it' | 'fr';

/**
 * The customer's own key to their callback: 256 random bits in the confirmation mail's cancel
 * link. Only its hash is stored, so the database alone cannot cancel anyone's callback.
 */
export function newCallbackToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** A token as the link carries it: 43 base64url characters. Anything else is refused before a lookup. */
export const isCallbackToken = (v: string) => /^[A-Za-z0-9_-]{43}$/.test(v);

export const cancelUrl = (config: Config, token: string) => `${config.main.server.publicUrl.replace(/\/+$/, '')}/callbacks/cancel/${token}`;

/** The website's time zone (its calendar's), in which the customer reads "we will call you at". */
export function websiteZone(config: Config, website: Website): string {
  return config.calendars.find((c) => c.id === website.hours)?.timezone ?? 'UTC';
}

/**
 * Formatters by language, zone and shape: making an Intl.DateTimeFormat costs far more than using
 * one, and every confirmation and cancel page formats its time. A handful of shapes, a few zones.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(lang: Language, zone: string, o: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${lang}|${zone}|${JSON.stringify(o)}`;
  let f = formatters.get(key);
  if (!f) formatters.set(key, (f = new Intl.DateTimeFormat(lang, { timeZone: zone, ...o })));
  return f;
}

export function callTime(cb: Pick<Callback, 'asap' | 'slotStart' | 'slotEnd' | 'dueAt'>, zone: string, lang: Language): string {
  const f = (d: Date, o: Intl.DateTimeFormatOptions) => formatter(lang, zone, o).format(d);
  if (cb.slotStart && cb.slotEnd) return `${f(cb.slotStart, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' })}–${f(cb.slotEnd, { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' })}`;
  return `${WORDS[lang].asap} (${f(cb.dueAt, { weekday: 'long', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' })})`;
}

const WORDS: Record<Language, {
  subject: string;
  asap: string;
  body: (v: { site: string; ref: string; when: string; phone: string; link: string }) => string;
  unreachedSubject: string;
  /** `attempts` 0: its slot ended before it could be called (unreached.ts). */
  unreached: (v: { site: string; ref: string; phone: string; attempts: number }) => string;
}> = {
  en: {
    subject: 'Your callback request',
    asap: 'as soon as possible',
    body: (v) => `We will call you back on ${v.phone}: ${v.when}.\n\nYour reference: ${v.ref}\n\nNo longer needed? Cancel it here:\n${v.link}\n\n${v.site}\n`,
    unreachedSubject: 'We could not reach you',
    unreached: (v) => `${v.attempts ? `We tried to call you back on ${v.phone} (${v.attempts} ${v.attempts === 1 ? 'attempt' : 'attempts'}) but could not reach you.` : `We could not call you back on ${v.phone} within the time you chose.`} We will not try again; you are welcome to ask for a new callback.\n\nYour reference: ${v.ref}\n\n${v.site}\n`,
  },
  it: {
    subject: 'La tua richiesta di essere richiamato',
    asap: 'appena possibile',
    body: (v) => `Ti richiameremo al numero ${v.phone}: ${v.when}.\n\nIl tuo riferimento: ${v.ref}\n\nNon serve più? Annulla qui:\n${v.link}\n\n${v.site}\n`,
    unreachedSubject: 'Non siamo riusciti a raggiungerti',
    unreached: (v) => `${v.attempts ? `Abbiamo provato a richiamarti al numero ${v.phone} (${v.attempts} ${v.attempts === 1 ? 'tentativo' : 'tentativi'}) senza riuscire a raggiungerti.` : `Non siamo riusciti a richiamarti al numero ${v.phone} nella fascia oraria che avevi scelto.`} Non riproveremo; puoi chiedere di nuovo di essere richiamato.\n\nIl tuo riferimento: ${v.ref}\n\n${v.site}\n`,
  },
  fr: {
    subject: 'Votre demande de rappel',
    asap: 'dès que possible',
    body: (v) => `Nous vous rappellerons au ${v.phone} : ${v.when}.\n\nVotre référence : ${v.ref}\n\nPlus besoin ? Annulez ici :\n${v.link}\n\n${v.site}\n`,
    unreachedSubject: "Nous n'avons pas pu vous joindre",
    unreached: (v) => `${v.attempts ? `Nous avons essayé de vous rappeler au ${v.phone} (${v.attempts} ${v.attempts === 1 ? 'tentative' : 'tentatives'}) sans pouvoir vous joindre.` : `Nous n'avons pas pu vous rappeler au ${v.phone} dans le créneau que vous aviez choisi.`} Nous ne réessaierons pas ; vous pouvez demander un nouveau rappel.\n\nVotre référence : ${v.ref}\n\n${v.site}\n`,
  },
};

/** Mail is on for this website: an SMTP server is configured and the website's mail channel is enabled. */
export const mailOn = (config: Config, website: Website) => !!config.main.smtp && website.channels.mail.enabled;

/**
 * The confirmation mail: reference, when we call, and the cancel link. Queued in the outbox (sent
 * with retries while the mail server is away), once per callback.
 */
export async function sendConfirmation(s: CallbacksKit, mailer: CallbacksDeps['mailer'], website: Website, cb: Callback, to: string, token: string, lang: Language = 'en'): Promise<void> {
  const config = s.config();
  const ref = reference('CB', cb.id);
  const w = WORDS[lang];
  await mailer.queue({
    kind: 'callback',
    dedupeKey: confirmationKey(cb.id),
    interactionId: cb.interactionId,
    to,
    subject: `[${ref}] ${w.subject} – ${website.name}`,
    text: w.body({ site: website.name, ref, when: callTime(cb, websiteZone(config, website), lang), phone: `…${cb.phoneNumber.slice(-4)}`, link: cancelUrl(config, token) }),
  });
}

const confirmationKey = (callbackId: string) => `callback-confirmation:${callbackId}`;

/**
 * Ended unreached (unreached.ts): a customer who was mailed the confirmation (the callback keeps its
 * token's hash only then) is told we could not reach them, once, at the address the confirmation
 * went to: the one they typed, which their contact (matched by phone when the address is new) may
 * not have.
 */
export async function sendUnreached(s: CallbacksKit, cb: Pick<Callback, 'id' | 'tokenHash' | 'language' | 'phoneNumber'>, interaction: Pick<Interaction, 'id' | 'websiteId'>, attempts: number): Promise<void> {
  const config = s.config();
  const website = config.websites.find((w) => w.id === interaction.websiteId);
  if (!website || !mailOn(config, website)) return;
  if (!cb.tokenHash) return;
  const email = await s.mailer.addressOf(confirmationKey(cb.id));
  if (!email) return;
  const ref = reference('CB', cb.id);
  const w = WORDS[cb.language === 'it' || cb.language === 'fr' ? cb.language : 'en'];
  await s.mailer.queue({
    kind: 'callback',
    dedupeKey: `callback-unreached:${cb.id}`,
    interactionId: interaction.id,
    to: email,
    subject: `[${ref}] ${w.unreachedSubject} – ${website.name}`,
    text: w.unreached({ site: website.name, ref, phone: `…${cb.phoneNumber.slice(-4)}`, attempts }),
  });
}
