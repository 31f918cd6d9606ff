import { ChangeDetectionStrategy, Component, inject, output } from '@angular/core';
import { I18n } from '../../core/i18n';
import { Shortcuts } from '../../core/shortcuts';

@Component({
  selector: 'sb-shortcuts-help',
  changeDetection: ChangeDetectionStrategy.OnPush,
  host: { '(document:keydown.escape)': 'closed.emit()' },
  template: `
    <div class="overlay" (click)="closed.emit()"></div>
    <section class="dialog" role="dialog" aria-modal="true" aria-labelledby="sc-title" data-test="shortcuts-help">
      <h2 id="sc-title">{{ t('shortcuts.title') }}</h2>
      <dl>
        @for (s of shortcuts.registered(); track s.keys) {
          <dt><kbd>{{ s.keys }}</kbd></dt>
          <dd>{{ t(s.label) }}</dd>
        }
        <!-- The composer's own keys: not registered shortcuts, since Enter means "send" only there. -->
        <dt><kbd>Enter</kbd></dt>
        <dd>{{ t('shortcuts.send') }}</dd>
        <dt><kbd>Shift+Enter</kbd></dt>
        <dd>{{ t('shortcuts.newLine') }}</dd>
      </dl>
      <div class="actions"><button type="button" (click)="closed.emit()">{{ t('common.close') }}</button></div>
    </section>
  `,
  styles: `
    dl { display: grid; grid-template-columns: auto 1fr; gap: 8px 16px; margin: 0; }
    dd { margin: 0; }
    kbd { padding: 2px 6px; border: 1px solid var(--line); border-bottom-width: 2px; border-radius: 4px; font: 12px ui-monospace, monospace; }
  `,
})
export class ShortcutsHelp {
  protected readonly shortcuts = inject(Shortcuts);
  protected readonly t = inject(I18n).t;
  readonly closed = output();
}
