import { ChangeDetectionStrategy, Component, DestroyRef, ElementRef, computed, effect, inject, input, signal, untracked, viewChild } from '@angular/core';
import { ApiError } from '../../core/api';
import { cannedReplies, fillPlaceholders, nextPlaceholder, withoutBrackets, type CannedReply } from '../../core/canned';
import { ChatStore, type ChatLine } from '../../core/chat';
import { I18n } from '../../core/i18n';
import { Session } from '../../core/session';

/**
 * A chat's conversation and composer: Enter sends (Shift+Enter a new line), internal notes are
 * written in their own mode and styled apart, canned replies come with placeholders the agent
 * must replace, and the agent's lines show one check (stored/sent) or two (delivered).
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

  protected readonly lines = computed(() => this.chat.lines(this.interactionId()));
  protected readonly typing = computed(() => this.chat.typing().get(this.interactionId()));
  protected readonly ended = computed(() => this.chat.ended().get(this.interactionId()));
  protected readonly note = signal(false);
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
      untracked(() => {
        this.chat.viewing.set(id);
        this.draft.set('');
        this.loadError.set(null);
        this.chat.load(id).then(
          () => this.chat.markRead(id),
          (err: unknown) => this.loadError.set(err instanceof ApiError ? err.message : String(err)),
        );
      });
    });
    // New lines while on screen: read them and keep the newest in view.
    effect(() => {
      const n = this.lines().length;
      untracked(() => {
        if (n) this.chat.markRead(this.interactionId());
        queueMicrotask(() => {
          const el = this.log()?.nativeElement;
          if (el) el.scrollTop = el.scrollHeight;
        });
      });
    });
    inject(DestroyRef).onDestroy(() => {
      if (this.chat.viewing() === this.interactionId()) this.chat.viewing.set(null);
      clearTimeout(this.typingTimer);
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

  protected send(): void {
    const body = this.draft().trim();
    if (!body || this.ended()) return;
    const ph = nextPlaceholder(body);
    if (ph) {
      this.hint.set('placeholder');
      const box = this.box()?.nativeElement;
      const offset = this.draft().indexOf(body);
      box?.setSelectionRange(ph[0] + offset, ph[1] + offset);
      return;
    }
    this.chat.send(this.interactionId(), body, this.note());
    this.draft.set('');
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
