// The message box: Enter sends (Shift+Enter is a new line), and while the visitor types the
// agent sees "typing" — composing on the first key, paused after 4 s without one or on send.
import { h } from '../dom';
import { t } from '../i18n';

export interface ComposerHooks {
  send(): void;
  typing(state: 'composing' | 'paused'): void;
}

export class Composer {
  readonly input = h('textarea', { class: 'sb-input', rows: 2, 'aria-label': t('typeMessage'), placeholder: t('typeMessage') });
  private timer: ReturnType<typeof setTimeout> | undefined;
  private composing = false;

  constructor(private readonly hooks: ComposerHooks) {
    this.input.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        hooks.send();
      }
    });
    this.input.addEventListener('input', () => this.typing());
  }

  stopTyping(): void {
    clearTimeout(this.timer);
    if (!this.composing) return;
    this.composing = false;
    this.hooks.typing('paused');
  }

  private typing(): void {
    if (!this.composing) {
      this.composing = true;
      this.hooks.typing('composing');
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.stopTyping(), 4000);
  }
}
