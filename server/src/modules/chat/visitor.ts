import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { OfflineMessageLeft, StartedChat } from '@switchboard/protocol';
import { textIn, type Website } from '../../kernel/config/schema.js';
import { HttpError, badRequest, conflict, forbidden } from '../../kernel/http/errors.js';
import type { Interaction } from '../interactions/index.js';
import { Contact } from '../contacts/index.js';
import { ChatService } from './service.js';
import type { ChatDeps } from './types.js';
import { DEFAULT_CHAT_FORM, DEFAULT_OFFLINE_FORM, formText, hashToken, reference, validateForm } from '../intake/index.js';

type Language = 'en' | 'it' | 'fr';

export interface StartChat {
  fields?: unknown;
  option?: string;
  language?: Language;
}

export type { StartedChat } from '@switchboard/protocol';

/** The visitor's side of chat: start (form, bot option, routing), token checks, offline form, transcript. */
export class ChatVisitors {
  constructor(
    private readonly chat: ChatService,
    private readonly offlineTicket: ChatDeps['offlineTicket'],
  ) {}

  private get s() {
    return this.chat.s;
  }

  async start(website: Website, input: StartChat): Promise<StartedChat> {
    if (!website.channels.chat.enabled) throw new HttpError(403, 'channel_disabled', `Chat is not enabled for website "${website.id}".`);
    const form = website.forms.chat.length ? website.forms.chat : DEFAULT_CHAT_FORM;
    const answers = validateForm(form, input.fields);
    let queueId = website.channels.chat.queue;
    const option = website.bot.options.find((o) => o.id === input.option);
    if (website.bot.options.length) {
      if (!option) {
        const ids = website.bot.options.map((o) => o.id).join(', ');
        throw badRequest(input.option ? `Unknown option "${input.option}"; pick one of ${ids}.` : `Pick one of the options: ${ids}.`, [{ field: 'option', problem: `must be one of ${ids}` }]);
      }
      queueId = option.queue;
    } else if (input.option !== undefined) {
      throw badRequest('This website has no option menu.', [{ field: 'option', problem: 'not expected' }]);
    }
    if (!queueId) throw new HttpError(503, 'not_configured', `Website "${website.id}" has no chat queue configured (channels.chat.queue).`);
    const contact = await this.s.contacts.findOrCreate({ name: answers.contact.name ?? null, email: answers.contact.email ?? null, phone: answers.contact.phone ?? null, customFields: answers.contact.customFields });
    const created = await this.s.routing.create({ channel: 'chat', queueId, websiteId: website.id, contactId: contact.id, subject: option ? textIn(option.label, input.language ?? website.look.language ?? 'en') : null, routingVariables: answers.variables });
    const i = created.interaction;
    const token = randomBytes(32).toString('base64url');
    await this.s.routing.setVisitorToken(i.id, hashToken(token));
    await this.s.routing.journey(i, 'chat.form', null, { answers: answers.answers, option: option?.id ?? null });
    const log = this.s.log.child({ interactionId: i.id });
    const lang = input.language ?? website.look.language ?? 'en';
    if (created.outcome === 'unmanaged') {
      const closed = created.reason === 'outside-hours';
      log.info({ reason: created.reason }, 'chat not queued');
      return {
        interactionId: i.id,
        token,
        outcome: closed ? 'closed' : 'unmanaged',
        queue: { state: 'unmanaged', position: null, estimatedWaitSeconds: null },
        notice: text(closed ? website.messages.closed : website.messages.unmanaged, lang),
        nextOpening: created.nextOpening,
        offlineForm: website.forms.offline.length ? website.forms.offline : DEFAULT_OFFLINE_FORM,
        messages: [],
      };
    }
    if (option) await this.chat.post({ interactionId: i.id, authorKind: 'bot', authorName: textIn(website.look.title, lang), body: textIn(option.welcome, lang), clientMessageId: `bot-welcome-${option.id}` });
    log.info({ queueId, position: created.position }, 'chat started');
    const fresh = await this.chat.interaction(i.id);
    return {
      interactionId: i.id,
      token,
      outcome: 'queued',
      queue: await this.chat.queueInfo(fresh),
      notice: null,
      nextOpening: null,
      offlineForm: null,
      messages: await this.chat.store.history(i.id, { notes: false }),
    };
  }

  /** The chat this token was issued for, on this website; anything else is refused the same way. */
  async authorize(website: Website, interactionId: string, token: string | undefined): Promise<Interaction> {
    if (!token) throw new HttpError(401, 'token_required', 'Send the chat token given when the chat started (Authorization: Bearer <token>).');
    const i = await this.chat.interactions.findOneBy({ id: interactionId });
    const expected = i?.visitorTokenHash ? Buffer.from(i.visitorTokenHash, 'hex') : Buffer.alloc(32);
    const given = Buffer.from(hashToken(token), 'hex');
    const ok = timingSafeEqual(expected, given) && !!i && i.channel === 'chat' && i.websiteId === website.id;
    // Unknown chat and wrong token get the same answer, so ids cannot be probed.
    if (!ok || !i) throw forbidden('This chat token is not valid for this chat.');
    return i;
  }

  async offlineForm(website: Website, i: Interaction, fields: unknown): Promise<OfflineMessageLeft> {
    if (i.state !== 'unmanaged') throw conflict('This chat was taken by the queue; the offline form is for chats that could not be served.');
    if (i.offline) throw conflict('A message was already left for this chat.');
    const form = website.forms.offline.length ? website.forms.offline : DEFAULT_OFFLINE_FORM;
    const answers = validateForm(form, fields);
    const contact = await this.s.contacts.findOrCreate({ name: answers.contact.name ?? null, email: answers.contact.email ?? null, phone: answers.contact.phone ?? null, customFields: answers.contact.customFields });
    if (!(await this.s.routing.markOffline(i.id, i.contactId ?? contact.id))) throw conflict('A message was already left for this chat.');
    const text = formText(form, answers.answers);
    await this.chat.store.add({ interactionId: i.id, authorKind: 'visitor', authorName: answers.contact.name ?? null, body: text, clientMessageId: 'offline-form' });
    const email = answers.contact.email ?? (typeof answers.answers.email === 'string' ? answers.answers.email : undefined);
    // Nobody is offered an unmanaged chat: the message goes to the mail queue as a ticket, to be
    // answered by mail once the queue is open and an agent free. Without an address to answer
    // to there is no ticket; the message stays on the chat, in its history.
    const ticket = website.offline.action === 'interaction' && email && website.channels.mail.queue
      ? await this.offlineTicket(website, i, { contactId: i.contactId ?? contact.id, email, name: answers.contact.name ?? null, text, variables: answers.variables })
      : null;
    await this.s.routing.journey(i, 'offline.form', null, { answers: answers.answers, ticketInteractionId: ticket });
    this.s.log.info({ interactionId: i.id, ticketInteractionId: ticket }, 'offline form stored');
    // The website wants left messages in a mailbox too: stored first, then queued (the outbox
    // retries while the mail server is away), so a mail failure loses nothing.
    const to = website.offline.action === 'mail' ? website.offline.forwardTo : undefined;
    if (!to || !this.s.config().main.smtp) return { stored: true, forwarded: false };
    await this.chat.mailer.queue({ kind: 'forward', dedupeKey: `offline:${i.id}`, interactionId: i.id, to, replyTo: email ?? null, subject: `[${reference('C', i.id)}] Message left in the chat on ${website.name}`, text });
    await this.s.routing.journey(i, 'offline.forwarded', null, { to });
    return { stored: true, forwarded: true };
  }

  /** Mailed when the chat ends, at once if it has. */
  async transcript(website: Website, i: Interaction, email: string | undefined): Promise<{ email: string; sent: boolean }> {
    if (!website.transcriptByMail || !this.s.config().main.smtp || !website.channels.mail.enabled) {
      throw new HttpError(403, 'transcript_unavailable', 'This website does not send chat transcripts by mail.');
    }
    const to = email ?? (i.contactId ? ((await this.s.db.getRepository(Contact).findOneBy({ id: i.contactId }))?.email ?? null) : null);
    if (!to) throw badRequest('Give the address to send the transcript to.', [{ field: 'email', problem: 'is required' }]);
    await this.s.routing.journey(i, 'transcript.requested', null, { email: to });
    // Over already (the end screen): now. Otherwise the close sends it.
    if (ChatService.isOpen(i)) return { email: to, sent: false };
    try {
      return { email: to, sent: (await this.chat.transcripts.sendOwed(i.id)).includes(to) };
    } catch (err) {
      this.s.log.error({ err, interactionId: i.id }, 'sending a chat transcript failed');
      throw new HttpError(502, 'mail_failed', 'The transcript could not be sent just now. Please try again in a moment.');
    }
  }

  async end(i: Interaction): Promise<void> {
    if (!['new', 'queued', 'offered', 'assigned', 'conference'].includes(i.state)) return;
    await this.s.routing.cancel(i.id);
  }
}

function text(t: Partial<Record<Language, string>> | undefined, lang: Language): string | null {
  if (!t) return null;
  return t[lang] ?? t.en ?? Object.values(t)[0] ?? null;
}
