// Live chat: pre-chat form, queue, lines both ways over the widget socket, files, an agent's call
// invitation, end and restart. The parts: session.ts (who the chat is, its REST calls, kept for
// the tab), transport.ts (the socket), log.ts (the lines), invite.ts, composer.ts, forms.ts.
import type { CallInvitePayload, ChatMessagePayload, WidgetCommand, WidgetServerMessage } from '@switchboard/protocol';
import { h } from '../dom';
import { t } from '../i18n';
import type { App } from '../app';
import type { StartChatOptions } from '../../messages';
import { Uploads } from '../uploads';
import { ChatSession, type Queue, type Saved } from './session';
import { ChatSocket } from './transport';
import { MessageLog } from './log';
import { InviteCard } from './invite';
import { Composer } from './composer';
import { chatFields, offlineForm, preChatForm } from './forms';
import { ratingForm } from './rating';

const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');

export class ChatView {
  active = false;
  private session: ChatSession | null = null;
  private socket: ChatSocket | null = null;
  private readonly log: MessageLog;
  private readonly queueLine = h('p', { class: 'sb-queue', 'aria-live': 'polite' });
  private readonly keepPlace = h('button', { type: 'button', class: 'sb-secondary sb-keep-place-offer', hidden: true, onclick: () => this.offerCallback() }, t('keepPlace'));
  private readonly typingLine = h('p', { class: 'sb-typing', 'aria-live': 'polite' });
  private readonly invite: InviteCard;
  private readonly composer: Composer;
  private readonly uploads: Uploads;
  private removeEnd: (() => void) | null = null;
  /** On the screens of a call the agent offered: the chat's own screens wait until the visitor is back. */
  private away = false;
  private endedScreen: HTMLElement | null = null;
  private firstMessage: string | null = null;
  private refs = 0;

  constructor(private readonly app: App) {
    this.uploads = new Uploads(app, () => this.session);
    this.composer = new Composer({
      send: () => void this.sendFromComposer(),
      typing: (state) => {
        const s = this.session;
        if (s) this.command({ type: 'chat.typing', interactionId: s.interactionId, state, ref: `t${++this.refs}` });
      },
    });
    this.log = new MessageLog({
      fileUrl: (fileId) => this.session!.fileUrl(fileId),
      failed: (retry) => app.shell.error(t('sendFailed'), retry, 'send'),
      // A line that failed went through after all (its own Retry): the strip goes once none is left failed.
      sent: () => app.shell.succeeded('send'),
      resend: (body, attachmentIds) => void this.send(body, attachmentIds),
    });
    this.invite = new InviteCard({
      composer: this.composer.input,
      notice: () => app.notice(),
      join: (inv) => {
        const token = this.session?.token;
        if (!token) return;
        void import('../call').then(
          (c) => {
            this.away = true;
            c.joinInvite(app, inv, token, (failure) => this.backFromCall(failure));
          },
          (err: unknown) => app.shell.error(app.shell.failure(err)),
        );
      },
      decline: (inv) => this.command({ type: 'call.invite.decline', inviteId: inv.inviteId, ref: `i${++this.refs}` }),
    });
  }

  /** Whether the chat has a screen to show: running, or ended while the visitor was on a call. */
  get holdsScreen(): boolean {
    return this.active || !!this.endedScreen;
  }

  show(): void {
    this.away = false;
    if (this.endedScreen) {
      this.app.shell.view(this.endedScreen);
      this.endedScreen = null;
      return;
    }
    if (this.session && this.active) return this.app.shell.view(this.panel());
    this.formView();
  }

  /** The agent's call is over: back to the conversation, which went on meanwhile. */
  private backFromCall(failure?: string): void {
    this.show();
    if (this.active) this.invite.note(failure ? t('callFailed', { reason: failure }) : t('callEnded'));
  }

  private formView(): void {
    preChatForm(this.app, (fields, option, files) => this.start(fields, option, files));
  }

  /** From the site's bot: fills what it knows and starts; the form opens for anything missing. */
  async startWith(o: StartChatOptions): Promise<unknown> {
    if (this.active && this.session) return { interactionId: this.session.interactionId, outcome: this.session.outcome };
    const app = this.app;
    const fields: Record<string, unknown> = { ...o.fields };
    const has = (n: string) => chatFields(app).some((f) => f.type !== 'label' && f.name === n);
    if (has('name') && (o.name ?? app.contact.name)) fields.name = o.name ?? app.contact.name;
    if (has('email') && (o.email ?? app.contact.email)) fields.email = o.email ?? app.contact.email;
    app.contact = { ...app.contact, name: o.name ?? app.contact.name, email: o.email ?? app.contact.email };
    this.firstMessage = o.message ?? null;
    try {
      const s = await this.start(fields, o.option ?? (app.config.bot.options.length === 1 ? app.config.bot.options[0]!.id : undefined));
      return { interactionId: s.interactionId, outcome: s.outcome };
    } catch (err) {
      // What the bot could not fill in, the visitor can: show the form with the details kept.
      this.formView();
      throw err;
    }
  }

  /** `formFiles`: what the visitor attached in the chat form; it goes up as the chat's first files. */
  private async start(fields: Record<string, unknown>, option: string | undefined, formFiles: File[] = []): Promise<ChatSession> {
    const { session: s, started } = await ChatSession.start({ fields, ...(option ? { option } : {}), language: this.app.lang });
    this.session = s;
    this.log.reset();
    this.app.host.emit('chat.started', { interactionId: s.interactionId, outcome: s.outcome });
    if (s.outcome !== 'queued') {
      offlineForm(this.app, s, started);
      return s;
    }
    s.remember();
    this.follow(s, started.messages, started.queue);
    this.app.shell.view(this.panel());
    if (formFiles.length) {
      this.uploads.add(formFiles);
      // Sent once uploaded, as a line of their own; a failed upload is shown by the upload row.
      this.uploads.uploadAll().then((ids) => (ids.length ? this.send('', ids) : undefined), () => undefined);
    }
    if (this.firstMessage) {
      const first = this.firstMessage;
      this.firstMessage = null;
      void this.send(first, []);
    }
    return s;
  }

  /** Picks up the chat this tab had running before the visitor moved to another page. */
  async resume(saved: Saved): Promise<boolean> {
    const r = await ChatSession.resume(saved);
    if (!r) return false;
    this.follow(r.session, r.messages, r.queue);
    return true;
  }

  /** The chat runs: its lines so far, its place in the queue, the End button and the socket. */
  private follow(s: ChatSession, messages: ChatMessagePayload[], queue: Queue): void {
    this.session = s;
    this.active = true;
    this.removeEnd = this.app.shell.headerButton('endChat', '\u2715', () => this.confirmEnd());
    for (const m of messages) this.log.render(m);
    this.setQueue(queue);
    this.socket = new ChatSocket(() => ({ type: 'chat.subscribe', interactionId: s.interactionId, token: s.token }), (m) => this.onServer(m));
    this.socket.connect();
  }

  private panel(): HTMLElement {
    const send = h('button', { type: 'button', class: 'sb-send sb-primary', 'aria-label': t('send'), onclick: () => void this.sendFromComposer() }, t('send'));
    return h('section', { class: 'sb-chat' }, this.queueLine, this.keepPlace, this.invite.el, this.log.el, this.typingLine, this.uploads.el, h('div', { class: 'sb-composer' }, this.uploads.button, this.composer.input, send));
  }

  private command(c: WidgetCommand): boolean {
    return this.socket?.send(c) ?? false;
  }

  private onServer(m: WidgetServerMessage): void {
    const s = this.session;
    if (!s) return;
    switch (m.type) {
      case 'chat.subscribed':
        for (const msg of m.messages) this.log.render(msg);
        this.setQueue(m.queue);
        this.markReceived(m.messages);
        // An invitation sent while this page was loading (or the socket away) is still on offer.
        s.pendingInvite().then((inv) => inv && this.invite.id !== inv.inviteId && this.onInvite(inv), () => undefined);
        break;
      case 'chat.ack':
        this.log.render(m.message);
        break;
      case 'chat.message':
        this.log.render(m.message);
        this.markReceived([m.message]);
        if (m.message.authorKind === 'agent') this.app.notice();
        if (m.message.authorKind !== 'visitor') this.app.host.emit('chat.message', { interactionId: m.message.interactionId, authorKind: m.message.authorKind, authorName: m.message.authorName, body: m.message.body, createdAt: m.message.createdAt });
        if (m.message.authorKind === 'system' && / joined the chat\.$/.test(m.message.body)) this.app.host.emit('agent.joined', { interactionId: s.interactionId, name: m.message.body.replace(/ joined the chat\.$/, '') });
        break;
      case 'chat.delivery':
        this.log.delivery(m.messageIds, m.state);
        break;
      case 'chat.typing':
        this.typingLine.textContent = m.authorKind === 'agent' && m.state === 'composing' ? t('typing', { name: m.authorName ?? t('agent') }) : '';
        break;
      case 'chat.queue':
        this.setQueue(m.queue);
        break;
      case 'chat.ended':
        this.ended(m.by);
        break;
      case 'call.invite':
        this.onInvite(m.invite);
        break;
      case 'error':
        if (m.ref && this.log.failRef(m.ref)) break;
        // A Decline that came too late: the invitation had ended anyway, nothing went wrong.
        if (m.code.startsWith('invite_')) this.invite.drop(m.code === 'invite_expired' ? 'inviteExpired' : m.code === 'invite_cancelled' ? 'inviteCancelled' : null);
        else if (m.code !== 'not_found') this.app.shell.error(m.message);
        break;
    }
  }

  private onInvite(inv: CallInvitePayload): void {
    const s = this.session;
    if (s && inv.interactionId === s.interactionId) this.invite.show(inv);
  }

  private setQueue(q: Queue): void {
    this.queueLine.textContent = q.state === 'queued' ? (q.position ? t('queuePosition', { n: q.position }) : t('waiting')) : '';
    this.queueLine.hidden = !this.queueLine.textContent;
    this.keepPlace.hidden = q.state !== 'queued' || !this.app.config.channels.callback?.enabled;
  }

  /** Keep my place: the visitor leaves a number; the callback takes the chat's place and the chat ends. */
  private offerCallback(): void {
    const s = this.session;
    if (!s || !this.active) return;
    this.away = true;
    void import('../keep-place').then(
      (k) => k.keepPlaceView(this.app, { interactionId: s.interactionId, token: s.token }, () => this.show(), () => this.leftForCallback()),
      (err: unknown) => this.app.shell.error(this.app.shell.failure(err)),
    );
  }

  /** The callback has the chat's place: the chat is over without its ended screen. */
  private leftForCallback(): void {
    const s = this.session;
    this.ended('customer');
    this.endedScreen = null;
    this.away = false;
    if (s === this.session) this.session = null;
  }

  private markReceived(messages: ChatMessagePayload[]): void {
    const ids = messages.filter((m) => m.authorKind === 'agent' || m.authorKind === 'bot').map((m) => m.id);
    if (ids.length && this.session) this.command({ type: 'chat.received', interactionId: this.session.interactionId, messageIds: ids });
  }

  private async sendFromComposer(): Promise<void> {
    const input = this.composer.input;
    const body = input.value.trim();
    if (!body && !this.uploads.count) return;
    input.value = '';
    this.composer.stopTyping();
    let ids: string[];
    try {
      ids = await this.uploads.uploadAll();
    } catch {
      if (body) input.value = body;
      return;
    }
    await this.send(body, ids);
  }

  private async send(body: string, attachmentIds: string[]): Promise<void> {
    const s = this.session;
    if (!s || !this.active) return;
    const clientMessageId = randomId();
    const line = this.log.add(clientMessageId, 'visitor', null, body, attachmentIds);
    line.status.textContent = '\u2026';
    const cmd: WidgetCommand = { type: 'chat.send', interactionId: s.interactionId, clientMessageId, body, ...(attachmentIds.length ? { attachmentIds } : {}), ref: clientMessageId };
    if (this.command(cmd)) {
      // No acknowledgement in time: show it as failed; a retry with the same id would be stored once.
      setTimeout(() => {
        if (!line.message && line.el.isConnected) this.log.failed(line);
      }, 8000);
      return;
    }
    // The socket is away: send over HTTP (idempotent by clientMessageId).
    try {
      this.log.render(await s.send(clientMessageId, body, attachmentIds));
    } catch {
      this.log.failed(line);
    }
  }

  private confirmEnd(): void {
    if (!this.session || !this.active) return;
    const input = this.composer.input;
    const dialog = h(
      'div',
      { class: 'sb-confirm', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'sb-confirm-title' },
      h('p', { id: 'sb-confirm-title' }, t('endConfirm')),
      h('button', { type: 'button', class: 'sb-primary sb-confirm-yes', onclick: () => { dialog.remove(); void this.end(); } }, t('yes')),
      h('button', { type: 'button', class: 'sb-secondary', onclick: () => { dialog.remove(); input.focus(); } }, t('no')),
    );
    dialog.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      dialog.remove();
      input.focus();
    });
    this.app.shell.body.append(dialog);
    dialog.querySelector('button')?.focus();
  }

  private async end(): Promise<void> {
    try {
      await this.session!.end();
      this.ended('customer');
    } catch (err) {
      this.app.shell.error(this.app.shell.failure(err), () => void this.end());
    }
  }

  private ended(by: string): void {
    const s = this.session;
    if (!s || !this.active) return;
    this.active = false;
    s.forget();
    this.socket?.stop();
    this.socket = null;
    this.removeEnd?.();
    this.composer.stopTyping();
    this.invite.drop(null);
    this.app.host.emit('chat.ended', { interactionId: s.interactionId, by });
    const transcript = this.app.config.transcriptByMail
      ? h('button', {
          type: 'button',
          class: 'sb-secondary sb-transcript',
          onclick: (e: Event) => {
            const b = e.currentTarget as HTMLButtonElement;
            b.disabled = true;
            s.transcript().then(
              (r) => {
                b.replaceWith(h('p', { class: 'sb-transcript-sent' }, `${t('transcriptSent')} ${r.email}`));
                this.app.shell.succeeded('transcript');
              },
              (err: unknown) => {
                b.disabled = false;
                this.app.shell.error(this.app.shell.failure(err), () => b.click(), 'transcript');
              },
            );
          },
        }, t('transcript'))
      : null;
    const rating = this.app.config.csat ? ratingForm(s, this.app.shell) : null;
    const screen = h('section', { class: 'sb-ended' }, h('h2', { tabindex: '-1' }, t('ended')), rating, this.log.el, transcript, h('button', { type: 'button', class: 'sb-primary sb-restart', onclick: () => { this.session = null; this.formView(); } }, t('startChat')));
    // The call the agent offered keeps the screen; the end is shown when the visitor is back.
    if (this.away) this.endedScreen = screen;
    else this.app.shell.view(screen);
  }
}
