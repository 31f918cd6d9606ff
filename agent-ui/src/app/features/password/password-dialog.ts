import { ChangeDetectionStrategy, Component, inject, output, signal } from '@angular/core';
import { ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import { Session } from '../../core/session';

@Component({
  selector: 'sb-password-dialog',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './password-dialog.html',
  host: { '(document:keydown.escape)': 'closed.emit()' },
})
export class PasswordDialog {
  private readonly session = inject(Session);
  protected readonly t = inject(I18n).t;

  readonly closed = output();

  protected readonly current = signal('');
  protected readonly next = signal('');
  protected readonly confirm = signal('');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);

  protected async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.busy()) return;
    if (this.next() !== this.confirm()) return this.error.set(this.t('password.mismatch'));
    if (this.next() === this.current()) return this.error.set(this.t('password.same'));
    this.busy.set(true);
    this.error.set(null);
    try {
      // Success ends every session, this one too: Session sends us to the login screen.
      await this.session.changePassword(this.current(), this.next());
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.busy.set(false);
    }
  }
}
