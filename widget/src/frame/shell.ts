import { h, clear, append } from './dom';
import { t, type Key } from './i18n';
import { ApiError, type WidgetConfig } from './api';

/** The frame's fixed parts: header (logo, title, buttons), the red error strip and the view area. */
export class Shell {
  readonly body = h('main', { class: 'sb-body', id: 'sb-body' });
  private readonly strip = h('div', { class: 'sb-error', role: 'alert', hidden: true });
  private readonly actions = h('div', { class: 'sb-actions' });
  private readonly title: HTMLElement;

  constructor(
    config: WidgetConfig,
    onMinimise: () => void,
  ) {
    const logo = config.look.logoUrl ? h('img', { class: 'sb-logo', src: config.look.logoUrl, alt: '' }) : null;
    this.title = h('h1', { class: 'sb-title', id: 'sb-title' }, config.look.title);
    const minimise = h('button', { type: 'button', class: 'sb-icon', 'aria-label': t('close'), title: t('close'), onclick: onMinimise }, '\u2013');
    append(this.actions, minimise);
    const header = h('header', { class: 'sb-header' }, logo, this.title, this.actions);
    append(document.body, header, this.strip, this.body);
  }

  /** An extra header button (the chat's end X) placed before minimise; returns a remover. */
  headerButton(label: Key, text: string, onClick: () => void): () => void {
    const b = h('button', { type: 'button', class: 'sb-icon', 'aria-label': t(label), title: t(label), onclick: onClick }, text);
    this.actions.prepend(b);
    return () => b.remove();
  }

  /** Shows an error at the top; with retry, a button runs it (and hides the strip). */
  error(message: string | null, retry?: () => void): void {
    clear(this.strip);
    if (!message) {
      this.strip.hidden = true;
      return;
    }
    append(this.strip, h('span', {}, message));
    if (retry) append(this.strip, h('button', { type: 'button', class: 'sb-retry', onclick: () => { this.error(null); retry(); } }, t('retry')));
    this.strip.hidden = false;
  }

  /** The message to show for a failed request: the server's own (it says what to do) or ours. */
  failure(err: unknown): string {
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
