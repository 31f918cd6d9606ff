import { ChangeDetectionStrategy, Component, DestroyRef, computed, effect, inject, input, signal, untracked } from '@angular/core';
import type { AgentCallback } from '@switchboard/protocol';
import { Api, ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import { ReasonsStore } from '../../core/reasons';

/** While a callback is being dialled its outcome comes soon: read it again this often. */
const DIALLING_REFRESH_MS = 3000;

/**
 * The callback behind a callback interaction: whom to call (name above, number here), what they
 * wrote, when they asked to be called, the attempts so far and why they failed; Call (preview
 * mode) or Call again, Reschedule to a time the agent picks, Close with a disposition.
 */
@Component({
  selector: 'sb-callback-pane',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './callback-pane.html',
  styleUrl: './callback-pane.css',
})
export class CallbackPane {
  private readonly api = inject(Api);
  private readonly i18n = inject(I18n);
  private readonly reasons = inject(ReasonsStore);
  protected readonly t = this.i18n.t;

  readonly interactionId = input.required<string>();
  /** Only the agent handling it acts on it; others (a supervisor) read. */
  readonly owner = input(true);

  protected readonly callback = signal<AgentCallback | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly busy = signal(false);
  protected readonly rescheduling = signal(false);
  protected readonly closing = signal(false);
  protected readonly at = signal('');
  protected readonly dispositions = computed(() => this.reasons.dispositions().filter((d) => d.id !== 'timeout'));
  protected readonly open = computed(() => ['scheduled', 'queued', 'dialling', 'unreached', 'failed'].includes(this.callback()?.state ?? ''));
  protected readonly canCall = computed(() => this.owner() && this.open() && this.callback()?.state !== 'dialling');
  protected readonly callLabel = computed(() => this.t((this.callback()?.attempts ?? 0) > 0 ? 'cb.callAgain' : 'cb.call'));
  protected readonly when = computed(() => {
    const c = this.callback();
    if (!c) return '';
    const f = (iso: string, o: Intl.DateTimeFormatOptions) => new Intl.DateTimeFormat(this.i18n.lang(), o).format(new Date(iso));
    if (c.slot) return `${f(c.slot.start, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' })}–${f(c.slot.end, { hour: '2-digit', minute: '2-digit' })}`;
    return this.t('cb.asap');
  });

  constructor() {
    let timer: ReturnType<typeof setTimeout> | undefined;
    effect(() => {
      const id = this.interactionId();
      untracked(() => void this.load(id));
    });
    effect(() => {
      clearTimeout(timer);
      if (this.callback()?.state === 'dialling') timer = setTimeout(() => void this.load(this.interactionId()), DIALLING_REFRESH_MS);
    });
    inject(DestroyRef).onDestroy(() => clearTimeout(timer));
  }

  private async load(interactionId: string): Promise<void> {
    try {
      const r = await this.api.get<{ callback: AgentCallback }>(`/api/interactions/${encodeURIComponent(interactionId)}/callback`);
      if (interactionId === this.interactionId()) this.callback.set(r.callback);
    } catch (err) {
      this.error.set(this.message(err));
    }
  }

  private message(err: unknown): string {
    return err instanceof ApiError ? err.message : String(err);
  }

  private async act(path: string, body: unknown = {}): Promise<void> {
    const c = this.callback();
    if (!c || this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      const r = await this.api.post<{ callback: AgentCallback }>(`/api/callbacks/${encodeURIComponent(c.callbackId)}/${path}`, body);
      this.callback.set(r.callback);
      this.rescheduling.set(false);
      this.closing.set(false);
    } catch (err) {
      this.error.set(this.message(err));
    } finally {
      this.busy.set(false);
    }
  }

  protected call(): Promise<void> {
    return this.act('dial');
  }

  protected reschedule(): Promise<void> {
    const at = new Date(this.at());
    if (!this.at() || Number.isNaN(at.getTime()) || at.getTime() <= Date.now()) {
      this.error.set(this.t('cb.pickFuture'));
      return Promise.resolve();
    }
    return this.act('reschedule', { at: at.toISOString() });
  }

  protected close(disposition: string): Promise<void> {
    return this.act('close', { disposition });
  }

  protected stateLabel(state: string): string {
    return this.t(`cb.state.${state}` as Parameters<typeof this.t>[0]);
  }
}
