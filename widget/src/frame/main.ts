// The frame app: everything the visitor sees once the widget is opened. Served from Switchboard
// (/widget/frame/<website>), so the website's scripts cannot read it and it cannot touch them.
import { h } from './dom';
import { language, setLanguage, t, txt, type Key } from './i18n';
import { pickLanguage, textOn } from '../look';
import { call, type Channel, type WidgetConfig } from './api';
import { Shell } from './shell';
import { Host } from './host';
import { callbackView, mailView } from './intake';
import { ChatView, rememberedChat } from './chat';
import type { ContactDetails, HostToFrame, Language, StartChatOptions } from '../messages';
import type { App } from './app';

class FrameApp implements App {
  shell!: Shell;
  contact: ContactDetails = {};
  chat: ChatView | null = null;
  /** Whether the page shows the widget (the loader says so); what arrives meanwhile is counted on the bubble. */
  visible = true;
  private waiting = 0;
  private forcedLanguage: Language | undefined;

  constructor(
    readonly config: WidgetConfig,
    readonly host: Host,
  ) {}

  get lang(): Language {
    return language();
  }

  async start(): Promise<void> {
    this.applyLanguage();
    document.documentElement.style.setProperty('--sb-primary', this.config.look.primaryColor);
    document.documentElement.style.setProperty('--sb-on-primary', textOn(this.config.look.primaryColor));
    this.shell = new Shell(this.config, () => this.host.send({ type: 'close' }));
    this.host.onMessage((m) => this.onHost(m));
    // Escape closes the widget (and gives focus back to the bubble), unless a dialog took it.
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && !e.defaultPrevented) this.host.send({ type: 'close' });
    });
    const saved = rememberedChat();
    if (saved && this.config.channels.chat?.enabled) {
      this.chat = new ChatView(this);
      await this.chat.resume(saved);
    }
    this.home();
    this.host.send({ type: 'ready' });
  }

  private applyLanguage(): void {
    setLanguage(pickLanguage(this.forcedLanguage ?? this.config.look.language, navigator.languages ?? [navigator.language]));
  }

  text(kind: 'closed' | 'unmanaged'): string {
    return txt(this.config.messages[kind]) || t(kind);
  }

  /** The website's greeting in the visitor's language, if it has one. */
  welcome(): string | null {
    return txt(this.config.messages.welcome) || null;
  }

  /** Something for the visitor arrived (an agent's line, a call invitation): counted while the widget is closed. */
  notice(): void {
    if (this.visible) return;
    this.waiting++;
    this.host.send({ type: 'attention', count: this.waiting, label: t('newItems', { n: this.waiting }) });
  }

  backButton(): HTMLElement {
    return h('button', { type: 'button', class: 'sb-back', onclick: () => this.home() }, `\u2190 ${t('back')}`);
  }

  home(): void {
    if (this.chat?.holdsScreen) return this.chat.show();
    if (!this.config.hours.open) return mailView(this, true, this.text('closed'), this.config.hours.nextOpening);
    const labels: Record<Channel, Key> = { chat: 'chat', call: 'call', video: 'video', callback: 'callback', mail: 'mail' };
    const order: Channel[] = ['chat', 'call', 'video', 'callback', 'mail'];
    const buttons = order.filter((c) => this.config.channels[c]?.enabled).map((c) => h('button', { type: 'button', class: `sb-channel sb-channel-${c}`, 'data-channel': c, onclick: () => this.openChannel(c) }, t(labels[c])));
    const greeting = this.welcome();
    this.shell.view(greeting ? h('p', { class: 'sb-welcome' }, greeting) : null, h('nav', { class: 'sb-channels', 'aria-labelledby': 'sb-title' }, ...buttons));
  }

  openChannel(c: Channel): void {
    if (c === 'chat') {
      this.chat ??= new ChatView(this);
      this.chat.show();
    } else if (c === 'callback') void callbackView(this);
    else if (c === 'mail') mailView(this);
    else void import('./call').then((m) => m.callView(this, c === 'video'), (err: unknown) => this.shell.error(this.shell.failure(err)));
  }

  private onHost(m: HostToFrame): void {
    if (m.type === 'init') {
      if (m.options.language) this.forcedLanguage = m.options.language;
      if (m.options.contact) this.contact = { ...this.contact, ...m.options.contact };
      const before = this.lang;
      this.applyLanguage();
      if (before !== this.lang) this.shell.relabel();
      if (before !== this.lang && !this.chat?.active) this.home();
    } else if (m.type === 'visible') {
      this.visible = m.visible;
      if (m.visible) this.waiting = 0;
    } else if (m.type === 'request') {
      const reply = (p: Promise<unknown>) =>
        p.then(
          (value) => this.host.send({ type: 'response', id: m.id, ok: true, value }),
          (err: unknown) => this.host.send({ type: 'response', id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
        );
      if (m.method === 'setContact') {
        this.contact = { ...this.contact, ...m.args };
        reply(Promise.resolve(true));
      } else {
        this.chat ??= new ChatView(this);
        reply(this.chat.startWith(m.args as StartChatOptions));
      }
    }
  }
}

async function boot(): Promise<void> {
  const host = new Host();
  if (!host.origin) {
    document.body.append(h('p', { class: 'sb-standalone' }, 'This page is part of a website widget.'));
    return;
  }
  host.send({ type: 'hello' });
  try {
    const config = await call<WidgetConfig>('GET', '/config');
    await new FrameApp(config, host).start();
  } catch {
    document.body.append(h('p', { class: 'sb-error', role: 'alert' }, 'The service is not available right now. Please try again later.'));
  }
}

void boot();
