import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { Session } from '../../core/session';

const HELP: Partial<Record<string, MessageKey>> = {
  rona: 'state.rona.help',
  'wrap-up': 'state.wrap-up.help',
  busy: 'state.busy.help',
  'logged-out': 'state.loggedOut.help',
};

/**
 * Under the header while the agent gets no offers for a reason they must notice (RONA above
 * all), with the way back to Available. Busy has none: finishing the interaction is the way.
 */
@Component({
  selector: 'sb-state-banner',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @if (help(); as key) {
      <div class="banner" [class]="state()" role="status" data-test="state-banner">
        <strong>{{ label() }}</strong>
        <span>{{ t(key) }}</span>
        @if (error(); as message) { <span class="error" role="alert">{{ message }}</span> }
        @if (state() !== 'busy') {
          <button type="button" class="primary" (click)="backToAvailable()" [disabled]="busy()" data-test="back-to-available">{{ t('state.backToAvailable') }}</button>
        }
      </div>
    }
  `,
  styles: `
    .banner { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: #eef2f7; border-bottom: 1px solid var(--line); }
    .banner.rona { background: #fdecec; color: #8a1c1c; }
    .banner.wrap-up { background: #f1ebfb; }
    .banner button { margin-left: 8px; }
    .error { color: var(--danger); }
  `,
})
export class StateBanner {
  private readonly session = inject(Session);
  protected readonly t = inject(I18n).t;

  protected readonly state = computed(() => this.session.status()?.state ?? 'logged-out');
  protected readonly label = computed(() => this.t(`state.${this.state()}` as MessageKey));
  protected readonly help = computed(() => HELP[this.state()] ?? null);
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async backToAvailable(): Promise<void> {
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.session.setState('available');
    } catch (err) {
      this.error.set(this.t('state.failed', { message: err instanceof ApiError ? err.message : String(err) }));
    } finally {
      this.busy.set(false);
    }
  }
}
