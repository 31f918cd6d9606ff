import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, computed, effect, inject, input, signal, untracked, viewChild } from '@angular/core';
import { ApiError } from '../../core/api';
import { ChatUploads, type Upload } from '../../core/upload';
import { EMOJI } from './emoji';
import { formatBytes, type PendingFile } from './attachments';
import { cannedReplies, fillPlaceholders, nextPlaceholder, withoutBrackets, type CannedReply } from '../../core/canned';
import { ChatStore, type ChatLine } from '../../core/chat';
import { I18n } from '../../core/i18n';
import { Session } from '../../core/session';

/**
 * A chat's conversation and composer: Enter sends (Shift+Enter a new line), internal notes are
 * written in their own mode and styled apart, canned replies come with placeholders the agent
 * must replace, and the agent's lines show one check (stored/sent) or two (delivered). Files are
 * reviewed before sending and uploaded when the line is sent, with progress and cancel.
 *
 * `monitoring`: a supervisor following the chat silently. Nothing here may tell the visitor:
 * no receipts (a double check would appear), no typing, no replies; notes only.
 */
@Component({
  selector: 'sb-chat-pane',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './chat-pane.html',
  styleUrl: './chat-pane.css',
})
export class ChatPane {
  protected readonly chat = inject(ChatStore);
  private readonly i18n = inject(I18n);
  private readonly session = inject(Session);
  protected readonly t = this.i18n.t;

  readonly interactionId = input.required<string>();
  readonly customerName = input<string | null>(null);
  readonly monitoring = input(false);
  private readonly uploads = inject(ChatUploads);

  protected readonly lines = computed(() => this.chat.lines(this.interactionId()));
  protected readonly typing = computed(() => this.chat.typing().get(this.interactionId()));
  protected readonly ended = computed(() => this.chat.ended().get(this.interactionId()));
  private readonly noteChosen = signal(false);
  protected readonly note = computed(() => this.monitoring() || this.noteChosen());
  protected readonly emoji = EMOJI;
  protected readonly emojiOpen = signal(false);
  protected readonly files = signal<readonly PendingFile[]>([]);
  protected readonly sending = signal(false);
  protected readonly fileError = signal<string | null>(null);
  protected readonly bytes = formatBytes;
  private current: Upload | null = null;
  private fileKey = 0;
  protected readonly draft = signal('');
  protected readonly hint = signal<'brackets' | 'placeholder' | null>(null);
  protected readonly loadError = signal<string | null>(null);
  protected readonly cannedOpen = signal(false);
  protected readonly canned = computed(() => cannedReplies(this.i18n.lang()));
  private readonly box = viewChild<ElementRef<HTMLTextAreaElement>>('box');
  private readonly log = viewChild<ElementRef<HTMLElement>>('log');
  private typingSent = false;
  private typingTimer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    effect(() => {
      const id = this.interactionId();
      const monitoring = this.monitoring();
      untracked(() => {
        if (!monitoring) this.chat.viewing.set(id);
        // Another chat on screen: an upload for the previous one must not end up sent there later.
        this.current?.cancel();
        this.draft.set('');
        this.files.set([]);
        this.fileError.set(null);
        this.loadError.set(null);
        this.chat.load(id).then(
          () => monitoring || this.chat.markRead(id),
          (err: unknown) => this.loadError.set(err instanceof ApiError ? err.message : String(err)),
        );
      });
    });
    // New lines while on screen: read them and keep the newest in view.
    effect(() => {
      const n = this.lines().length;
      untracked(() => {
        if (n && !this.monitoring()) this.chat.markRead(this.interactionId());
        queueMicrotask(() => {
          const el = this.log()?.nativeElement;
          if (el) el.scrollTop = el.scrollHeight;
        });
      });
    });
    inject(DestroyRef).onDestroy(() => {
      if (this.chat.viewing() === this.interactionId()) this.chat.viewing.set(null);
      clearTimeout(this.typingTimer);
      this.current?.cancel();
    });
  }

  protected time(l: ChatLine): string {
    return new Date(l.createdAt).toLocaleTimeString(this.i18n.lang(), { hour: '2-digit', minute: '2-digit' });
  }

  protected checks(l: ChatLine): string {
    if (l.local === 'sending') return 'sending';
    if (l.local === 'failed' || l.deliveryState === 'failed') return 'failed';
    return l.deliveryState === 'delivered' || l.deliveryState === 'read' ? 'double' : 'single';
  }

  protected keydown(e: KeyboardEvent): void {
    if (e.key === '<' || e.key === '>') {
      e.preventDefault();
      this.hint.set('brackets');
      return;
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      this.send();
    }
  }

  protected paste(e: ClipboardEvent): void {
    const text = e.clipboardData?.getData('text/plain');
    if (text === undefined || !/[<>]/.test(text)) return;
    e.preventDefault();
    this.hint.set('brackets');
    const box = e.target as HTMLTextAreaElement;
    box.setRangeText(withoutBrackets(text), box.selectionStart, box.selectionEnd, 'end');
    this.draft.set(box.value);
  }

  protected input(value: string): void {
    this.draft.set(value);
    if (this.hint() === 'placeholder' && !nextPlaceholder(value)) this.hint.set(null);
    if (this.note()) return;
    if (!this.typingSent) {
      this.typingSent = true;
      this.chat.typingState(this.interactionId(), 'composing');
    }
    clearTimeout(this.typingTimer);
    this.typingTimer = setTimeout(() => this.stopTyping(), 3000);
  }

  protected useCanned(r: CannedReply): void {
    const text = fillPlaceholders(r.text, { customer: this.customerName(), agent: this.session.agent()?.name });
    this.cannedOpen.set(false);
    const box = this.box()?.nativeElement;
    const current = this.draft();
    const next = current ? `${current.trimEnd()} ${text}` : text;
    this.draft.set(next);
    if (box) {
      box.value = next;
      box.focus();
      const ph = nextPlaceholder(next);
      if (ph) box.setSelectionRange(ph[0], ph[1]);
    }
  }

  protected setNote(on: boolean): void {
    this.noteChosen.set(on);
  }

  protected insertEmoji(e: string): void {
    this.emojiOpen.set(false);
    const box = this.box()?.nativeElement;
    if (!box) {
      this.draft.update((d) => d + e);
      return;
    }
    box.setRangeText(e, box.selectionStart, box.selectionEnd, 'end');
    this.draft.set(box.value);
    box.focus();
  }

  protected pick(input: HTMLInputElement): void {
    const picked = [...(input.files ?? [])];
    input.value = ''; // the same file picked again after a removal must fire `change` again
    this.fileError.set(null);
    const empty = picked.filter((f) => f.size === 0);
    if (empty.length) this.fileError.set(this.t('chat.fileEmpty', { name: empty.map((f) => f.name).join(', ') }));
    const add = picked.filter((f) => f.size > 0).map((file): PendingFile => ({ key: ++this.fileKey, file, state: 'ready', progress: 0, error: null, uploaded: null }));
    this.files.update((list) => [...list, ...add]);
  }

  protected removeFile(key: number): void {
    if (this.sending()) return;
    const uploaded = this.files().find((f) => f.key === key)?.uploaded;
    // Best effort: the server would refuse the next upload only after several left behind.
    if (uploaded) void this.uploads.discard(this.interactionId(), uploaded.id).catch(() => undefined);
    this.files.update((list) => list.filter((f) => f.key !== key));
    if (!this.files().some((f) => f.state === 'failed')) this.fileError.set(null);
  }

  /** Stops the upload in progress: the line is not sent, the draft and the files stay. */
  protected cancelUpload(): void {
    this.current?.cancel();
  }

  protected send(): void {
    if (this.sending()) return;
    const body = this.draft().trim();
    const files = this.note() ? [] : this.files();
    if ((!body && !files.length) || this.ended()) return;
    const ph = nextPlaceholder(body);
    if (ph) {
      this.hint.set('placeholder');
      const box = this.box()?.nativeElement;
      const offset = this.draft().indexOf(body);
      box?.setSelectionRange(ph[0] + offset, ph[1] + offset);
      return;
    }
    if (files.length) {
      void this.sendWithFiles(body);
      return;
    }
    this.chat.send(this.interactionId(), body, this.note());
    this.clearDraft();
  }

  /** Uploads the files one after the other, then sends the line naming them; any failure sends nothing. */
  private async sendWithFiles(body: string): Promise<void> {
    const id = this.interactionId();
    this.sending.set(true);
    this.fileError.set(null);
    try {
      for (const f of this.files()) {
        if (f.uploaded) continue;
        this.patchFile(f.key, { state: 'uploading', progress: 0, error: null });
        this.current = this.uploads.upload(id, f.file, (progress) => this.patchFile(f.key, { progress }));
        try {
          const uploaded = await this.current.done;
          this.patchFile(f.key, { state: 'done', progress: 1, uploaded });
        } catch (err) {
          const cancelled = err instanceof ApiError && err.code === 'cancelled';
          this.patchFile(f.key, cancelled ? { state: 'ready', progress: 0 } : { state: 'failed', error: err instanceof ApiError ? err.message : String(err) });
          if (!cancelled) this.fileError.set(this.t('chat.fileFailed'));
          return;
        } finally {
          this.current = null;
        }
      }
      if (this.interactionId() !== id) return;
      this.chat.send(id, body, false, undefined, this.files().map((f) => f.uploaded!));
      this.clearDraft();
    } finally {
      this.sending.set(false);
    }
  }

  private patchFile(key: number, change: Partial<PendingFile>): void {
    this.files.update((list) => list.map((f) => (f.key === key ? { ...f, ...change } : f)));
  }

  private clearDraft(): void {
    this.draft.set('');
    this.files.set([]);
    this.hint.set(null);
    const box = this.box()?.nativeElement;
    if (box) box.value = '';
    this.stopTyping();
  }

  private stopTyping(): void {
    clearTimeout(this.typingTimer);
    if (!this.typingSent) return;
    this.typingSent = false;
    this.chat.typingState(this.interactionId(), 'paused');
  }
}
