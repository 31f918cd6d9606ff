import { h, clear, append } from './dom';
import { t, txt, type Key } from './i18n';
import { ApiError, type WidgetConfig } from './api';

/** The frame's fixed parts: header (logo, title, buttons), the red error strip and the view area. */
export class Shell {
  readonly body = h('main', { class: 'sb-body', id: 'sb-body' });
  private readonly strip = h('div', { class: 'sb-error', role: 'alert', hidden: true });
  private readonly actions = h('div', { class: 'sb-actions' });
  private readonly title: HTMLElement;
  private readonly config: WidgetConfig;
  private readonly minimise: HTMLButtonElement;
  /** What the strip is about, when its action can succeed later (see succeeded). */
  private failedAction: string | null = null;

  constructor(
    config: WidgetConfig,
    onMinimise: () => void,
  ) {
    this.config = config;
    const logo = config.look.logoUrl ? h('img', { class: 'sb-logo', src: config.look.logoUrl, alt: '' }) : null;
    this.title = h('h1', { class: 'sb-title', id: 'sb-title' }, txt(config.look.title));
    this.minimise = h('button', { type: 'button', class: 'sb-icon', 'aria-label': t('close'), title: t('close'), onclick: onMinimise }, '\u2013');
    append(this.actions, this.minimise);
    const header = h('header', { class: 'sb-header' }, logo, this.title, this.actions);
    append(document.body, header, this.strip, this.body);
  }

  /** The visitor's language changed: the header in the new one. */
  relabel(): void {
    this.title.textContent = txt(this.config.look.title);
    this.minimise.setAttribute('aria-label', t('close'));
    this.minimise.title = t('close');
  }

  /** An extra header button (the chat's end X) placed before minimise; returns a remover. */
  headerButton(label: Key, text: string, onClick: () => void): () => void {
    const b = h('button', { type: 'button', class: 'sb-icon', 'aria-label': t(label), title: t(label), onclick: onClick }, text);
    this.actions.prepend(b);
    return () => b.remove();
  }

  /**
   * Shows an error at the top; with retry, a button runs it (and hides the strip). `action` names
   * what failed, so that its later success takes the strip away (succeeded).
   */
  error(message: string | null, retry?: () => void, action?: string): void {
    clear(this.strip);
    this.failedAction = message ? (action ?? null) : null;
    if (!message) {
      this.strip.hidden = true;
      return;
    }
    append(this.strip, h('span', {}, message));
    if (retry) append(this.strip, h('button', { type: 'button', class: 'sb-retry', onclick: () => { this.error(null); retry(); } }, t('retry')));
    this.strip.hidden = false;
  }

  /** The action the strip is about went through this time: the strip goes, if it is still about it. */
  succeeded(action: string): void {
    if (this.failedAction === action) this.error(null);
  }

  /** The message to show for a failed request: the server's own (it says what to do) or ours. */
  failure(err: unknown): string {
    if (err instanceof ApiError && err.code === 'mail_failed') return t('mailFailed');
    if (err instanceof ApiError) return err.status === 0 ? t('networkError') : err.status >= 500 ? t('serverError') : err.message;
    return t('serverError');
  }

  view(...children: (Node | null)[]): void {
    this.error(null);
    clear(this.body);
    append(this.body, ...children);
    // The view's heading takes focus so that screen readers announce where the visitor is.
    const first = this.body.querySelector<HTMLElement>('h2, .sb-input') ?? this.body.querySelector<HTMLElement>('input:not([type=file]), button, select, textarea');
    first?.focus();
  }
}
