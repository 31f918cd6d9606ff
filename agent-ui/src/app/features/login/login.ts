import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { Router } from '@angular/router';
import { ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import { Session } from '../../core/session';
import type { MessageKey } from '../../core/i18n/en';
import { LanguagePicker } from '../shell/language-picker';

@Component({
  selector: 'sb-login',
  imports: [LanguagePicker],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './login.html',
  styleUrl: './login.css',
})
export class Login {
  private readonly session = inject(Session);
  private readonly router = inject(Router);
  protected readonly t = inject(I18n).t;

  /** Why the previous session ended (query parameter set by Session.end). */
  readonly ended = input<string>();

  protected readonly username = signal('');
  protected readonly password = signal('');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly notice = computed(() => {
    const e = this.ended();
    const key = `ended.${e}` as MessageKey;
    return e && !this.error() ? this.t(key) : null;
  });

  protected async submit(event: Event): Promise<void> {
    event.preventDefault();
    if (this.busy()) return;
    const username = this.username().trim();
    if (!username || !this.password()) {
      this.error.set(this.t('login.missing'));
      return;
    }
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.session.login(username, this.password());
      await this.router.navigateByUrl('/');
    } catch (err) {
      this.error.set(this.describe(err));
      this.password.set('');
    } finally {
      this.busy.set(false);
    }
  }

  private describe(err: unknown): string {
    if (!(err instanceof ApiError)) return String(err);
    if (err.status === 401) return this.t('login.wrong');
    if (err.status === 429) return this.t('login.rateLimited', { message: err.message });
    if (err.unreachable || err.status >= 500) return this.t('login.unreachable');
    return err.message;
  }
}
