import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, computed, effect, inject, input, signal, untracked, viewChild } from '@angular/core';
import type { ChatAttachmentPayload } from '@switchboard/protocol';
import { ApiError } from '../../core/api';
import { ChatUploads } from '../../core/upload';
import { cannedReplies, fillPlaceholders, type CannedReply } from '../../core/canned';
import { I18n } from '../../core/i18n';
import { MailStore, mailBlocks, type MailMessage, type MailThreadView } from '../../core/mail';
import { Session } from '../../core/session';
import { ChatStore } from '../../core/chat';
import { formatBytes } from '../chat/attachments';

const REFRESH_MS = 5000;

/**
 * A mail interaction: the whole thread, oldest first (newest last, next to the reply box), each
 * mail's files as downloads and its quoted text folded; the agent's replies say where their mail
 * is (queued with the server's reason while it retries, sent, not sent with a Retry). The reply is
 * plain text, optionally formatted with marks the toolbar inserts (the server makes the HTML part
 * from those marks alone), with files (uploaded at once, within the website's limits) and canned
 * replies. Customers' HTML is never rendered here: the text is shown, so nothing a customer sends
 * can run in the desktop.
 */
@Component({
  selector: 'sb-mail-pane',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './mail-pane.html',
  styleUrl: './mail-pane.css',
})
export class MailPane {
  private readonly mail = inject(MailStore);
  private readonly uploads = inject(ChatUploads);
  private readonly i18n = inject(I18n);
  private readonly session = inject(Session);
  /** New mails arrive as chat events: the store counts them unread until the thread is on screen. */
  private readonly unread = inject(ChatStore);
  protected readonly t = this.i18n.t;

  readonly interactionId = input.required<string>();
  readonly customerName = input<string | null>(null);
  readonly canReply = input(true);

  protected readonly thread = signal<MailThreadView | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly sendError = signal<string | null>(null);
  protected readonly draft = signal('');
  protected readonly files = signal<readonly ChatAttachmentPayload[]>([]);
  protected readonly uploading = signal(0);
  protected readonly sending = signal(false);
  protected readonly cannedOpen = signal(false);
  protected readonly formatted = signal(false);
  protected readonly retrying = signal<string | null>(null);
  private readonly box = viewChild<ElementRef<HTMLTextAreaElement>>('box');
  protected readonly canned = computed(() => cannedReplies(this.i18n.lang()));
  protected readonly bytes = formatBytes;
  protected readonly blocks = mailBlocks;
  private pendingId: string | null = null;

  constructor() {
    effect(() => {
      const id = this.interactionId();
      untracked(() => {
        this.thread.set(null);
        this.draft.set('');
        this.files.set([]);
        this.formatted.set(false);
        this.sendError.set(null);
        this.unread.viewing.set(id);
        void this.refresh(id);
      });
    });
    // Replies change state (queued → sent) and customers answer: look again while on screen.
    const timer = setInterval(() => void this.refresh(this.interactionId()), REFRESH_MS);
    inject(DestroyRef).onDestroy(() => clearInterval(timer));
  }

  private async refresh(id: string): Promise<void> {
    try {
      const v = await this.mail.thread(id);
      if (id === this.interactionId()) {
        this.unread.markRead(id);
        this.thread.set(v);
        this.loadError.set(null);
      }
    } catch (err) {
      this.loadError.set(this.t('mail.loadFailed', { message: err instanceof ApiError ? err.message : String(err) }));
    }
  }

  protected fileUrl(fileId: string): string {
    return this.mail.fileUrl(this.interactionId(), fileId);
  }

  protected author(m: MailMessage): string {
    return m.authorName || (m.authorKind === 'agent' ? this.t('mail.agent') : this.customerName() || this.t('mail.customer'));
  }

  protected deliveryText(m: MailMessage): string {
    const d = m.delivery;
    if (!d) return '';
    if (d.state === 'sent') return this.t('mail.sent');
    if (d.state === 'failed') return this.t('mail.failedReason', { reason: d.lastError ?? '' });
    return d.lastError ? this.t('mail.retrying', { reason: d.lastError, n: d.attempts }) : this.t('mail.queued');
  }

  /**
   * Puts a mark around the selection (or at the cursor) and turns formatting on: what the
   * customer's mail client shows bold, italic, as a list or a link.
   */
  protected mark(kind: 'bold' | 'italic' | 'list' | 'link'): void {
    const el = this.box()?.nativeElement;
    const text = this.draft();
    const [from, to] = el ? [el.selectionStart, el.selectionEnd] : [text.length, text.length];
    const picked = text.slice(from, to);
    const lineStart = text.lastIndexOf('\n', from - 1) + 1;
    let next: string;
    let cursor: number;
    if (kind === 'list') {
      next = `${text.slice(0, lineStart)}- ${text.slice(lineStart)}`;
      cursor = to + 2;
    } else {
      const [open, close] = kind === 'bold' ? ['**', '**'] : kind === 'italic' ? ['*', '*'] : ['[', '](https://)'];
      const inner = picked || (kind === 'link' ? this.t('mail.link') : '');
      next = `${text.slice(0, from)}${open}${inner}${close}${text.slice(to)}`;
      cursor = from + open.length + inner.length + (kind === 'link' ? close.length - 1 : 0);
    }
    this.draft.set(next);
    this.formatted.set(true);
    if (el) {
      el.value = next;
      el.focus();
      el.setSelectionRange(cursor, cursor);
    }
  }

  protected async retry(m: MailMessage): Promise<void> {
    if (this.retrying()) return;
    this.retrying.set(m.id);
    this.sendError.set(null);
    try {
      await this.mail.retry(this.interactionId(), m.id);
      await this.refresh(this.interactionId());
    } catch (err) {
      this.sendError.set(this.t('mail.sendFailed', { message: err instanceof ApiError ? err.message : String(err) }));
    } finally {
      this.retrying.set(null);
    }
  }

  protected useCanned(c: CannedReply): void {
    const text = fillPlaceholders(c.text, { customer: this.customerName(), agent: this.session.agent()?.name ?? null });
    this.draft.update((d) => (d ? `${d}\n\n${text}` : text));
    this.cannedOpen.set(false);
  }

  protected attach(list: FileList | null): void {
    for (const file of Array.from(list ?? [])) {
      this.uploading.update((n) => n + 1);
      this.uploads
        .upload(this.interactionId(), file, () => undefined, 'mail')
        .done.then(
          (f) => this.files.update((fs) => [...fs, f]),
          (err: unknown) => this.sendError.set(this.t('mail.sendFailed', { message: err instanceof ApiError ? err.message : String(err) })),
        )
        .finally(() => this.uploading.update((n) => n - 1));
    }
  }

  protected removeFile(id: string): void {
    this.files.update((fs) => fs.filter((f) => f.id !== id));
  }

  protected async send(): Promise<void> {
    const body = this.draft().trim();
    if (!body || this.sending() || this.uploading()) return;
    this.sending.set(true);
    this.sendError.set(null);
    // The same id on a retry after an error: the server stores and mails the reply once.
    this.pendingId ??= crypto.randomUUID().replace(/-/g, '');
    try {
      await this.mail.reply(this.interactionId(), body, this.files().map((f) => f.id), this.pendingId, this.formatted() ? 'formatted' : 'plain');
      this.pendingId = null;
      this.draft.set('');
      this.files.set([]);
      this.formatted.set(false);
      await this.refresh(this.interactionId());
    } catch (err) {
      this.sendError.set(this.t('mail.sendFailed', { message: err instanceof ApiError ? err.message : String(err) }));
    } finally {
      this.sending.set(false);
    }
  }
}
