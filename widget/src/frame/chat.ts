// Live chat: pre-chat form, queue, lines both ways over the widget socket, files, end and restart.
import type { CallInvitePayload, ChatMessagePayload, WidgetCommand, WidgetServerMessage } from '@switchboard/protocol';
import { h, clear, formatBytes } from './dom';
import { t, when } from './i18n';
import { ApiError, apiBase, call, websiteId, type Field } from './api';
import { renderForm } from './form';
import { DEFAULT_OFFLINE } from './intake';
import type { App } from './main';
import type { StartChatOptions } from '../messages';
import { Uploads } from './uploads';

const DEFAULT_CHAT: Field[] = [
  { type: 'text', name: 'name', label: 'Name', required: true, maxLength: 200 },
  { type: 'email', name: 'email', label: 'Email', required: true },
];

interface Started {
  interactionId: string;
  token: string;
  outcome: 'queued' | 'closed' | 'unmanaged';
  queue: { state: string; position: number | null };
  notice: string | null;
  nextOpening: string | null;
  offlineForm: Field[] | null;
  messages: ChatMessagePayload[];
}

interface Line {
  el: HTMLLIElement;
  status: HTMLElement;
  message: ChatMessagePayload | null;
  body: string;
  attachmentIds: string[];
}

const STORE = `switchboard.chat.${websiteId}`;
const ACTIVE = ['new', 'queued', 'offered', 'assigned', 'conference'];

/** The running chat survives page changes on the website: its id and token, for this tab only. */
function remember(s: { interactionId: string; token: string } | null): void {
  try {
    if (s) sessionStorage.setItem(STORE, JSON.stringify({ interactionId: s.interactionId, token: s.token }));
    else sessionStorage.removeItem(STORE);
  } catch {
    // Storage can be blocked (privacy settings): the chat then lasts as long as the page.
  }
}

export function rememberedChat(): { interactionId: string; token: string } | null {
  try {
    const raw = sessionStorage.getItem(STORE);
    return raw ? (JSON.parse(raw) as { interactionId: string; token: string }) : null;
  } catch {
    return null;
  }
}

const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(8)), (b) => b.toString(16).padStart(2, '0')).join('');

export class ChatView {
  active = false;
  private session: Started | null = null;
  private ws: WebSocket | null = null;
  private retryMs = 500;
  private readonly lines = new Map<string, Line>();
  private readonly log = h('ol', { class: 'sb-log', role: 'log', 'aria-live': 'polite', 'aria-label': t('chat') });
  private readonly queueLine = h('p', { class: 'sb-queue', 'aria-live': 'polite' });
  private readonly typingLine = h('p', { class: 'sb-typing', 'aria-live': 'polite' });
  /** An agent's call invitation, announced as soon as it appears. */
  private readonly inviteSlot = h('div', { class: 'sb-invite-slot', 'aria-live': 'assertive' });
  private invite: { id: string; timer: ReturnType<typeof setTimeout> } | null = null;
  private readonly input = h('textarea', { class: 'sb-input', rows: 2, 'aria-label': t('typeMessage'), placeholder: t('typeMessage') });
  private readonly uploads: Uploads;
  private removeEnd: (() => void) | null = null;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;
  private composing = false;
  private firstMessage: string | null = null;
  private refs = 0;

  constructor(private readonly app: App) {
    this.uploads = new Uploads(app, () => this.session);
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        void this.sendFromComposer();
      }
    });
    this.input.addEventListener('input', () => this.typing());
  }

  show(): void {
    if (this.session && this.active) return this.app.shell.view(this.panel());
    this.formView();
  }

  private formView(): void {
    const app = this.app;
    const fields = app.config.forms.chat.length ? app.config.forms.chat : DEFAULT_CHAT;
    const form = renderForm(fields, { name: app.contact.name, email: app.contact.email });
    const options = app.config.bot.options;
    const optionBoxes = options.map((o) => h('input', { type: 'radio', name: 'sb-option', value: o.id, id: `sb-option-${o.id}` }));
    const optionWarn = h('p', { class: 'sb-warn', id: 'sb-option-warn', hidden: true });
    const menu = options.length
      ? h('fieldset', { class: 'sb-field sb-group sb-options', 'aria-describedby': 'sb-option-warn' }, h('legend', {}, t('chooseOption')), ...optionBoxes.map((b, n) => h('label', { class: 'sb-choice', for: b.id }, b, ' ', options[n]!.label)), optionWarn)
      : null;
    const button = h('button', { type: 'submit', class: 'sb-primary' }, t('startChat'));
    const el = h('form', { class: 'sb-panel', novalidate: true }, h('h2', { tabindex: '-1' }, t('chat')), form.el, menu, button);
    el.addEventListener('submit', (e) => {
      e.preventDefault();
      const fieldsOut = form.collect();
      const option = optionBoxes.find((b) => b.checked)?.value;
      optionWarn.hidden = !!option || !options.length;
      optionWarn.textContent = t('required');
      if (!fieldsOut || (options.length && !option)) return;
      // Kept for the offline form, should nobody be able to take the chat.
      if (typeof fieldsOut.name === 'string') app.contact.name = fieldsOut.name;
      if (typeof fieldsOut.email === 'string') app.contact.email = fieldsOut.email;
      button.disabled = true;
      this.start(fieldsOut, option, Object.values(form.files()))
        .catch((err: unknown) => {
          if (!(err instanceof ApiError && form.showProblems(err.fields))) app.shell.error(app.shell.failure(err), () => button.click());
        })
        .finally(() => (button.disabled = false));
    });
    app.shell.view(app.backButton(), el);
  }

  /** From the site's bot: fills what it knows and starts; the form opens for anything missing. */
  async startWith(o: StartChatOptions): Promise<unknown> {
    if (this.active && this.session) return { interactionId: this.session.interactionId, outcome: this.session.outcome };
    const fields: Record<string, unknown> = { ...o.fields };
    const chatForm = this.app.config.forms.chat.length ? this.app.config.forms.chat : DEFAULT_CHAT;
    const has = (n: string) => chatForm.some((f) => f.type !== 'label' && f.name === n);
    if (has('name') && (o.name ?? this.app.contact.name)) fields.name = o.name ?? this.app.contact.name;
    if (has('email') && (o.email ?? this.app.contact.email)) fields.email = o.email ?? this.app.contact.email;
    this.app.contact = { ...this.app.contact, name: o.name ?? this.app.contact.name, email: o.email ?? this.app.contact.email };
    this.firstMessage = o.message ?? null;
    try {
      const s = await this.start(fields, o.option ?? (this.app.config.bot.options.length === 1 ? this.app.config.bot.options[0]!.id : undefined));
      return { interactionId: s.interactionId, outcome: s.outcome };
    } catch (err) {
      // What the bot could not fill in, the visitor can: show the form with the details kept.
      this.formView();
      throw err;
    }
  }

  /** `formFiles`: what the visitor attached in the chat form; it goes up as the chat's first files. */
  private async start(fields: Record<string, unknown>, option: string | undefined, formFiles: File[] = []): Promise<Started> {
    const s = await call<Started>('POST', '/chats', { fields, ...(option ? { option } : {}), language: this.app.lang });
    this.session = s;
    this.lines.clear();
    clear(this.log);
    this.app.host.emit('chat.started', { interactionId: s.interactionId, outcome: s.outcome });
    if (s.outcome !== 'queued') {
      this.offlineView(s);
      return s;
    }
    this.active = true;
    remember(s);
    this.removeEnd = this.app.shell.headerButton('endChat', '\u2715', () => this.confirmEnd());
    for (const m of s.messages) this.render(m);
    this.setQueue(s.queue);
    this.app.shell.view(this.panel());
    this.connect();
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
  async resume(saved: { interactionId: string; token: string }): Promise<boolean> {
    try {
      const r = await call<{ state: string; queue: { state: string; position: number | null }; messages: ChatMessagePayload[] }>('GET', `/chats/${saved.interactionId}`, undefined, saved.token);
      if (!ACTIVE.includes(r.state)) throw new Error('over');
      this.session = { interactionId: saved.interactionId, token: saved.token, outcome: 'queued', queue: r.queue, notice: null, nextOpening: null, offlineForm: null, messages: r.messages };
      this.active = true;
      this.removeEnd = this.app.shell.headerButton('endChat', '\u2715', () => this.confirmEnd());
      for (const m of r.messages) this.render(m);
      this.setQueue(r.queue);
      this.connect();
      return true;
    } catch {
      remember(null);
      return false;
    }
  }

  private offlineView(s: Started): void {
    const fields = s.offlineForm ?? DEFAULT_OFFLINE;
    const form = renderForm(fields, { name: this.app.contact.name, email: this.app.contact.email });
    const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
    const el = h(
      'form',
      { class: 'sb-panel', novalidate: true },
      h('div', { class: 'sb-notice' }, h('p', {}, s.notice ?? t(s.outcome === 'closed' ? 'closed' : 'unmanaged')), s.nextOpening ? h('p', { class: 'sb-next' }, t('nextOpening', { when: when(s.nextOpening) })) : null),
      h('h2', { tabindex: '-1' }, t('leaveMessage')),
      form.el,
      button,
    );
    el.addEventListener('submit', (e) => {
      e.preventDefault();
      const out = form.collect();
      if (!out) return;
      button.disabled = true;
      call('POST', `/chats/${s.interactionId}/offline`, { fields: out }, s.token)
        .then(() => this.app.shell.view(h('section', { class: 'sb-done' }, h('h2', { tabindex: '-1' }, t('thanks')), h('p', {}, t('messageLeft')), h('button', { type: 'button', class: 'sb-secondary', onclick: () => this.app.home() }, t('home')))))
        .catch((err: unknown) => {
          if (!(err instanceof ApiError && form.showProblems(err.fields))) this.app.shell.error(this.app.shell.failure(err), () => button.click());
        })
        .finally(() => (button.disabled = false));
    });
    this.app.shell.view(this.app.backButton(), el);
  }

  private panel(): HTMLElement {
    const send = h('button', { type: 'button', class: 'sb-send sb-primary', 'aria-label': t('send'), onclick: () => void this.sendFromComposer() }, t('send'));
    return h('section', { class: 'sb-chat' }, this.queueLine, this.inviteSlot, this.log, this.typingLine, this.uploads.el, h('div', { class: 'sb-composer' }, this.uploads.button, this.input, send));
  }

  private connect(): void {
    const s = this.session;
    if (!s || !this.active) return;
    const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/widget?website=${encodeURIComponent(websiteId)}`);
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.command({ type: 'chat.subscribe', interactionId: s.interactionId, token: s.token });
    };
    ws.onmessage = (e) => this.onServer(JSON.parse(String(e.data)) as WidgetServerMessage);
    ws.onclose = () => {
      if (this.ws !== ws || !this.active) return;
      this.ws = null;
      // Lines sent meanwhile fail visibly; the history comes back with the next subscribe.
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  private command(c: WidgetCommand): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(c));
    return true;
  }

  private onServer(m: WidgetServerMessage): void {
    const s = this.session;
    if (!s) return;
    switch (m.type) {
      case 'chat.subscribed':
        for (const msg of m.messages) this.render(msg);
        this.setQueue(m.queue);
        this.markReceived(m.messages);
        // An invitation sent while this page was loading (or the socket away) is still on offer.
        call<{ invite: CallInvitePayload | null }>('GET', `/calls/invites/${s.interactionId}`, undefined, s.token).then(
          (r) => r.invite && this.invite?.id !== r.invite.inviteId && this.onInvite(r.invite),
          () => undefined,
        );
        break;
      case 'chat.ack':
        this.render(m.message);
        break;
      case 'chat.message':
        this.render(m.message);
        this.markReceived([m.message]);
        if (m.message.authorKind === 'agent') this.app.notice();
        if (m.message.authorKind !== 'visitor') this.app.host.emit('chat.message', { interactionId: m.message.interactionId, authorKind: m.message.authorKind, authorName: m.message.authorName, body: m.message.body, createdAt: m.message.createdAt });
        if (m.message.authorKind === 'system' && / joined the chat\.$/.test(m.message.body)) this.app.host.emit('agent.joined', { interactionId: s.interactionId, name: m.message.body.replace(/ joined the chat\.$/, '') });
        break;
      case 'chat.delivery':
        for (const id of m.messageIds) {
          const line = [...this.lines.values()].find((l) => l.message?.id === id);
          if (line?.message) {
            line.message.deliveryState = m.state;
            this.paintStatus(line);
          }
        }
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
        if (m.ref && this.lines.has(m.ref)) this.failed(this.lines.get(m.ref)!);
        // A Decline that came too late: the invitation had ended anyway, nothing went wrong.
        else if (m.code.startsWith('invite_')) this.dropInvite(m.code === 'invite_expired' ? 'inviteExpired' : m.code === 'invite_cancelled' ? 'inviteCancelled' : null);
        else if (m.code !== 'not_found') this.app.shell.error(m.message);
        break;
    }
  }

  /** Shows a pending invitation with Join and Decline; any other state takes it away. */
  private onInvite(inv: CallInvitePayload): void {
    const s = this.session;
    if (!s || inv.interactionId !== s.interactionId) return;
    if (inv.state === 'pending') {
      const left = Date.parse(inv.expiresAt) - Date.now();
      if (left <= 0) return;
      this.dropInvite(null);
      const textId = `sb-invite-${inv.inviteId.slice(0, 8)}`;
      const name = inv.agentName ?? t('agent');
      // Join keeps the card: the server's "accepted" takes it away, and a visitor who could not
      // open their devices finds it again on the way back.
      const join = h('button', { type: 'button', class: 'sb-primary sb-invite-join', 'aria-describedby': textId, onclick: () => {
        void import('./call').then((c) => c.joinInvite(this.app, inv, s.token), (err: unknown) => this.app.shell.error(this.app.shell.failure(err)));
      } }, t('join'));
      const decline = h('button', { type: 'button', class: 'sb-secondary sb-invite-decline', 'aria-describedby': textId, onclick: () => {
        this.command({ type: 'call.invite.decline', inviteId: inv.inviteId, ref: `i${++this.refs}` });
        this.dropInvite(null);
        this.input.focus();
      } }, t('decline'));
      this.inviteSlot.append(h('div', { class: 'sb-invite', role: 'group', 'aria-labelledby': textId }, h('p', { id: textId }, t(inv.video ? 'inviteVideo' : 'inviteCall', { name })), h('div', { class: 'sb-row' }, join, decline)));
      this.invite = { id: inv.inviteId, timer: setTimeout(() => this.dropInvite('inviteExpired'), left) };
      this.app.notice();
      // Focus goes to Join, unless the visitor is writing: a space or Enter meant for the message
      // must not start their camera. The live region announces the invitation either way.
      if (this.inviteSlot.isConnected && !this.input.value) join.focus();
      return;
    }
    if (this.invite?.id !== inv.inviteId) return;
    const notice = inv.state === 'cancelled' ? 'inviteCancelled' : inv.state === 'expired' ? 'inviteExpired' : inv.state === 'failed' ? 'inviteFailed' : null;
    this.dropInvite(notice);
  }

  private dropInvite(notice: 'inviteCancelled' | 'inviteExpired' | 'inviteFailed' | null): void {
    if (this.invite) clearTimeout(this.invite.timer);
    this.invite = null;
    const hadFocus = this.inviteSlot.contains(document.activeElement);
    clear(this.inviteSlot);
    if (notice) this.inviteSlot.append(h('p', { class: 'sb-invite-notice' }, t(notice)));
    if (hadFocus) this.input.focus();
  }

  private setQueue(q: { state: string; position: number | null }): void {
    this.queueLine.textContent = q.state === 'queued' ? (q.position ? t('queuePosition', { n: q.position }) : t('waiting')) : '';
    this.queueLine.hidden = !this.queueLine.textContent;
  }

  private markReceived(messages: ChatMessagePayload[]): void {
    const ids = messages.filter((m) => m.authorKind === 'agent' || m.authorKind === 'bot').map((m) => m.id);
    if (ids.length && this.session) this.command({ type: 'chat.received', interactionId: this.session.interactionId, messageIds: ids });
  }

  /** Adds or updates a line; lines are keyed by clientMessageId when we sent them, else by id. */
  private render(m: ChatMessagePayload): void {
    const key = m.clientMessageId && this.lines.has(m.clientMessageId) ? m.clientMessageId : m.id;
    let line = this.lines.get(key);
    if (!line) {
      line = this.addLine(key, m.authorKind, m.authorName, m.body, []);
      // Lines relayed concurrently may arrive out of order: place it by the server's time.
      line.el.dataset.at = m.createdAt;
      const later = [...this.log.children].find((li) => li !== line!.el && (li as HTMLElement).dataset.at && (li as HTMLElement).dataset.at! > m.createdAt);
      if (later) this.log.insertBefore(line.el, later);
    }
    line.el.dataset.at ??= m.createdAt;
    line.message = m;
    this.paintAttachments(line, m);
    this.paintStatus(line);
  }

  private addLine(key: string, kind: string, name: string | null, body: string, attachmentIds: string[]): Line {
    const who = kind === 'visitor' ? t('you') : (name ?? (kind === 'agent' ? t('agent') : ''));
    const status = h('span', { class: 'sb-status' });
    const el = h('li', { class: `sb-line sb-${kind}` }, who ? h('span', { class: 'sb-who' }, who) : null, h('p', { class: 'sb-text' }, body), status);
    this.log.append(el);
    el.scrollIntoView?.({ block: 'end' });
    const line: Line = { el, status, message: null, body, attachmentIds };
    this.lines.set(key, line);
    return line;
  }

  private paintAttachments(line: Line, m: ChatMessagePayload): void {
    if (!m.attachments.length || line.el.querySelector('.sb-files')) return;
    const s = this.session!;
    const list = h('ul', { class: 'sb-files' });
    for (const a of m.attachments) {
      const href = `${apiBase}/chats/${s.interactionId}/files/${a.id}?token=${encodeURIComponent(s.token)}`;
      list.append(h('li', {}, h('a', { href, download: a.fileName, target: '_blank', rel: 'noopener', 'aria-label': `${t('download')} ${a.fileName}` }, a.fileName), ` (${formatBytes(a.size)})`));
    }
    line.el.insertBefore(list, line.status);
  }

  private paintStatus(line: Line): void {
    clear(line.status);
    const m = line.message;
    if (!m || m.authorKind !== 'visitor') return;
    const state = m.deliveryState;
    if (state === 'failed') return this.failed(line);
    const double = state === 'delivered' || state === 'read';
    line.status.className = `sb-status ${double ? 'sb-delivered' : 'sb-sent'}`;
    line.status.append(h('span', { 'aria-label': double ? t('delivered') : t('sent'), role: 'img' }, double ? '\u2713\u2713' : '\u2713'));
  }

  private failed(line: Line): void {
    clear(line.status);
    line.status.className = 'sb-status sb-failed';
    const retry = () => {
      line.el.remove();
      for (const [k, l] of this.lines) if (l === line) this.lines.delete(k);
      void this.send(line.body, line.attachmentIds);
    };
    line.status.append(t('failed'), ' ', h('button', { type: 'button', class: 'sb-retry-line', onclick: retry }, t('retry')));
    this.app.shell.error(t('sendFailed'), retry);
  }

  private async sendFromComposer(): Promise<void> {
    const body = this.input.value.trim();
    if (!body && !this.uploads.count) return;
    this.input.value = '';
    this.stopTyping();
    let ids: string[];
    try {
      ids = await this.uploads.uploadAll();
    } catch {
      if (body) this.input.value = body;
      return;
    }
    await this.send(body, ids);
  }

  private async send(body: string, attachmentIds: string[]): Promise<void> {
    const s = this.session;
    if (!s || !this.active) return;
    const clientMessageId = randomId();
    const line = this.addLine(clientMessageId, 'visitor', null, body, attachmentIds);
    line.status.textContent = '\u2026';
    const cmd: WidgetCommand = { type: 'chat.send', interactionId: s.interactionId, clientMessageId, body, ...(attachmentIds.length ? { attachmentIds } : {}), ref: clientMessageId };
    if (this.command(cmd)) {
      // No acknowledgement in time: show it as failed; a retry with the same id would be stored once.
      setTimeout(() => {
        if (!line.message && line.el.isConnected) this.failed(line);
      }, 8000);
      return;
    }
    // The socket is away: send over HTTP (idempotent by clientMessageId).
    try {
      const r = await call<{ message: ChatMessagePayload }>('POST', `/chats/${s.interactionId}/messages`, { clientMessageId, body, ...(attachmentIds.length ? { attachmentIds } : {}) }, s.token);
      this.render(r.message);
    } catch {
      this.failed(line);
    }
  }

  private typing(): void {
    const s = this.session;
    if (!s) return;
    if (!this.composing) {
      this.composing = true;
      this.command({ type: 'chat.typing', interactionId: s.interactionId, state: 'composing', ref: `t${++this.refs}` });
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), 4000);
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (!this.composing || !this.session) return;
    this.composing = false;
    this.command({ type: 'chat.typing', interactionId: this.session.interactionId, state: 'paused', ref: `t${++this.refs}` });
  }

  private confirmEnd(): void {
    if (!this.session || !this.active) return;
    const dialog = h(
      'div',
      { class: 'sb-confirm', role: 'alertdialog', 'aria-modal': 'true', 'aria-labelledby': 'sb-confirm-title' },
      h('p', { id: 'sb-confirm-title' }, t('endConfirm')),
      h('button', { type: 'button', class: 'sb-primary sb-confirm-yes', onclick: () => { dialog.remove(); void this.end(); } }, t('yes')),
      h('button', { type: 'button', class: 'sb-secondary', onclick: () => { dialog.remove(); this.input.focus(); } }, t('no')),
    );
    dialog.addEventListener('keydown', (e) => {
      if (e.key !== 'Escape') return;
      e.preventDefault();
      dialog.remove();
      this.input.focus();
    });
    this.app.shell.body.append(dialog);
    dialog.querySelector('button')?.focus();
  }

  private async end(): Promise<void> {
    const s = this.session!;
    try {
      await call('POST', `/chats/${s.interactionId}/end`, undefined, s.token);
      this.ended('customer');
    } catch (err) {
      this.app.shell.error(this.app.shell.failure(err), () => void this.end());
    }
  }

  private ended(by: string): void {
    const s = this.session;
    if (!s || !this.active) return;
    this.active = false;
    remember(null);
    this.ws?.close();
    this.ws = null;
    this.removeEnd?.();
    this.stopTyping();
    this.dropInvite(null);
    this.app.host.emit('chat.ended', { interactionId: s.interactionId, by });
    const transcript = this.app.config.transcriptByMail
      ? h('button', {
          type: 'button',
          class: 'sb-secondary sb-transcript',
          onclick: (e: Event) => {
            const b = e.currentTarget as HTMLButtonElement;
            b.disabled = true;
            call<{ email: string }>('POST', `/chats/${s.interactionId}/transcript`, {}, s.token).then(
              (r) => b.replaceWith(h('p', { class: 'sb-transcript-sent' }, `${t('transcriptSent')} ${r.email}`)),
              (err: unknown) => {
                b.disabled = false;
                this.app.shell.error(this.app.shell.failure(err));
              },
            );
          },
        }, t('transcript'))
      : null;
    this.app.shell.view(
      h('section', { class: 'sb-ended' }, h('h2', { tabindex: '-1' }, t('ended')), this.log, transcript, h('button', { type: 'button', class: 'sb-primary sb-restart', onclick: () => { this.session = null; this.formView(); } }, t('startChat'))),
    );
  }
}
