import { ChangeDetectionStrategy, Component, ElementRef, Injector, afterNextRender, computed, inject, signal } from '@angular/core';
import { ApiError } from '../../core/api';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import type { AgentStateName } from '../../core/models';
import { ReasonsStore } from '../../core/reasons';
import { Session } from '../../core/session';
import type { MessageKey } from '../../core/i18n/en';


@Component({
  selector: 'sb-state-selector',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './state-selector.html',
  styleUrl: './state-selector.css',
  host: { '(document:click)': 'closeOnOutside($event)', '(document:keydown.escape)': 'open.set(false)', '(keydown)': 'moveFocus($event)' },
})
export class StateSelector {
  private readonly session = inject(Session);
  private readonly clock = inject(Clock);
  private readonly host = inject<ElementRef<HTMLElement>>(ElementRef);
  private readonly injector = inject(Injector);
  protected readonly reasons = inject(ReasonsStore);
  protected readonly t = inject(I18n).t;

  readonly open = signal(false);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected readonly status = computed(() => this.session.status());
  protected readonly state = computed<AgentStateName>(() => this.status()?.state ?? 'logged-out');
  protected readonly stateLabel = computed(() => this.t(`state.${this.state()}` as MessageKey));
  protected readonly reasonLabel = computed(() => this.reasons.label(this.status()?.reason ?? null));

  protected readonly elapsed = computed(() => {
    const since = Date.parse(this.status()?.since ?? '');
    // An agent who never logged in is "logged out since 1970" on the server: no time to show.
    return since > 0 ? formatDuration(this.clock.now() - since) : '';
  });

  /** Milliseconds of wrap-up left, or null when the server gave no end. */
  protected readonly wrapUpLeft = computed(() => {
    const s = this.status();
    if (s?.state !== 'wrap-up') return null;
    const learnt = this.session.wrapUpUntil();
    // The status carries the end (the same on every tab); a server without it leaves the end this
    // tab learnt when closing, which belongs to this wrap-up only if it lies after it began.
    const until = s.wrapUpUntil ? Date.parse(s.wrapUpUntil) : learnt && learnt > Date.parse(s.since) ? learnt : null;
    return until === null ? null : Math.max(0, until - this.clock.now());
  });
  protected readonly format = formatDuration;

  toggle(): void {
    this.open.update((o) => !o);
    if (!this.open()) return;
    this.reasons.load().catch(() => undefined);
    // Keyboard users land in the menu (Alt+N opens it), on the first choice.
    afterNextRender(() => this.items()[0]?.focus(), { injector: this.injector });
  }

  protected moveFocus(e: KeyboardEvent): void {
    if (!this.open() || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
    e.preventDefault();
    const items = this.items();
    const at = items.indexOf(document.activeElement as HTMLButtonElement);
    items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length]?.focus();
  }

  private items(): HTMLButtonElement[] {
    return [...this.host.nativeElement.querySelectorAll<HTMLButtonElement>('[role=menuitem]')];
  }

  async set(state: 'available' | 'not-ready' | 'logged-out', reason?: string): Promise<void> {
    this.open.set(false);
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.session.setState(state, reason);
    } catch (err) {
      this.error.set(this.t('state.failed', { message: err instanceof ApiError ? err.message : String(err) }));
    } finally {
      this.busy.set(false);
    }
  }

  protected closeOnOutside(e: Event): void {
    if (this.open() && !this.host.nativeElement.contains(e.target as Node)) this.open.set(false);
  }
}
