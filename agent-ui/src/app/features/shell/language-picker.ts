import { ChangeDetectionStrategy, Component, inject } from '@angular/core';
import { I18n, LANGUAGES, type Lang } from '../../core/i18n';

@Component({
  selector: 'sb-language-picker',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <select [attr.aria-label]="i18n.t('menu.language')" (change)="pick($any($event.target).value)" data-test="language">
      <option value="" [selected]="i18n.override() === null">{{ i18n.t('lang.auto') }}</option>
      @for (l of languages; track l.id) {
        <option [value]="l.id" [selected]="i18n.override() === l.id">{{ l.name }}</option>
      }
    </select>
  `,
})
export class LanguagePicker {
  protected readonly i18n = inject(I18n);
  protected readonly languages = LANGUAGES;

  protected pick(value: string): void {
    this.i18n.use(value ? (value as Lang) : null);
  }
}
