// The conversation as the visitor sees it: one line per message, placed by the server's time,
// with the delivery checks of the visitor's own lines, their files, and Retry on a failed line.
import type { ChatMessagePayload } from '@switchboard/protocol';
import { h, clear, formatBytes } from '../dom';
import { t } from '../i18n';

export interface Line {
  el: HTMLLIElement;
  status: HTMLElement;
  message: ChatMessagePayload | null;
  body: string;
  attachmentIds: string[];
}

export interface LogHooks {
  /** Where the visitor downloads a file of this chat. */
  fileUrl(fileId: string): string;
  /** A line of the visitor's failed: say so where the visitor looks, with its retry. */
  failed(retry: () => void): void;
  /** Retry: the line goes out again as a new one. */
  resend(body: string, attachmentIds: string[]): void;
  /** A line of the visitor's reached the server, and none is left failed. */
  sent(): void;
}

export class MessageLog {
  /** The lines stay a list inside the live log: role=log on the list itself would take its list semantics away. */
  private readonly list = h('ol', { class: 'sb-lines' });
  readonly el = h('div', { class: 'sb-log', role: 'log', 'aria-live': 'polite', 'aria-label': t('chat') }, this.list);
  private readonly lines = new Map<string, Line>();
  private readonly failures = new Set<Line>();

  constructor(private readonly hooks: LogHooks) {}

  reset(): void {
    this.lines.clear();
    this.failures.clear();
    clear(this.list);
  }

  /** Adds or updates a line; lines are keyed by clientMessageId when we sent them, else by id. */
  render(m: ChatMessagePayload): void {
    const key = m.clientMessageId && this.lines.has(m.clientMessageId) ? m.clientMessageId : m.id;
    let line = this.lines.get(key);
    if (!line) {
      line = this.add(key, m.authorKind, m.authorName, m.body, []);
      // Lines relayed concurrently may arrive out of order: place it by the server's time.
      line.el.dataset.at = m.createdAt;
      const later = [...this.list.children].find((li) => li !== line!.el && (li as HTMLElement).dataset.at && (li as HTMLElement).dataset.at! > m.createdAt);
      if (later) this.list.insertBefore(line.el, later);
    }
    line.el.dataset.at ??= m.createdAt;
    line.message = m;
    this.paintAttachments(line, m);
    this.paintStatus(line);
  }

  /** A line of the visitor's, shown at once; its message comes with the server's acknowledgement. */
  add(key: string, kind: string, name: string | null, body: string, attachmentIds: string[]): Line {
    const who = kind === 'visitor' ? t('you') : (name ?? (kind === 'agent' ? t('agent') : ''));
    const status = h('span', { class: 'sb-status' });
    const el = h('li', { class: `sb-line sb-${kind}` }, who ? h('span', { class: 'sb-who' }, who) : null, h('p', { class: 'sb-text' }, body), status);
    this.list.append(el);
    el.scrollIntoView?.({ block: 'end' });
    const line: Line = { el, status, message: null, body, attachmentIds };
    this.lines.set(key, line);
    return line;
  }

  /** The agent's side has the lines (delivered) or read them. */
  delivery(messageIds: string[], state: ChatMessagePayload['deliveryState']): void {
    for (const id of messageIds) {
      const line = [...this.lines.values()].find((l) => l.message?.id === id);
      if (line?.message) {
        line.message.deliveryState = state;
        this.paintStatus(line);
      }
    }
  }

  /** The server refused the command with this ref: false if it was not a line of ours. */
  failRef(ref: string): boolean {
    const line = this.lines.get(ref);
    if (!line) return false;
    this.failed(line);
    return true;
  }

  private paintAttachments(line: Line, m: ChatMessagePayload): void {
    if (!m.attachments.length || line.el.querySelector('.sb-files')) return;
    const list = h('ul', { class: 'sb-files' });
    for (const a of m.attachments) {
      list.append(h('li', {}, h('a', { href: this.hooks.fileUrl(a.id), download: a.fileName, target: '_blank', rel: 'noopener', 'aria-label': `${t('download')} ${a.fileName}` }, a.fileName), ` (${formatBytes(a.size)})`));
    }
    line.el.insertBefore(list, line.status);
  }

  private paintStatus(line: Line): void {
    clear(line.status);
    const m = line.message;
    if (!m || m.authorKind !== 'visitor') return;
    const state = m.deliveryState;
    if (state === 'failed') return this.failed(line);
    this.failures.delete(line);
    if (!this.failures.size) this.hooks.sent();
    const double = state === 'delivered' || state === 'read';
    line.status.className = `sb-status ${double ? 'sb-delivered' : 'sb-sent'}`;
    line.status.append(h('span', { 'aria-label': double ? t('delivered') : t('sent'), role: 'img' }, double ? '\u2713\u2713' : '\u2713'));
  }

  failed(line: Line): void {
    clear(line.status);
    line.status.className = 'sb-status sb-failed';
    this.failures.add(line);
    const retry = () => {
      line.el.remove();
      this.failures.delete(line);
      for (const [k, l] of this.lines) if (l === line) this.lines.delete(k);
      this.hooks.resend(line.body, line.attachmentIds);
    };
    line.status.append(t('failed'), ' ', h('button', { type: 'button', class: 'sb-retry-line', onclick: retry }, t('retry')));
    this.hooks.failed(retry);
  }
}
