// The chat's two forms: the pre-chat form (the website's fields and its bot options), and the
// leave-a-message form shown when nobody can take the chat.
import { h } from '../dom';
import { t, txt, when } from '../i18n';
import { DEFAULT_FORMS } from '@switchboard/protocol';
import { ApiError, type Field } from '../api';
import { renderForm } from '../form';
import type { App } from '../app';
import type { ChatSession, Started } from './session';

export const chatFields = (app: App): readonly Field[] => (app.config.forms.chat.length ? app.config.forms.chat : DEFAULT_FORMS.chat);

/** `start` gets the answers, the bot option and the files attached in the form. */
export function preChatForm(app: App, start: (fields: Record<string, unknown>, option: string | undefined, files: File[]) => Promise<unknown>): void {
  const form = renderForm(chatFields(app), { name: app.contact.name, email: app.contact.email });
  const options = app.config.bot.options;
  const optionBoxes = options.map((o) => h('input', { type: 'radio', name: 'sb-option', value: o.id, id: `sb-option-${o.id}` }));
  const optionWarn = h('p', { class: 'sb-warn', id: 'sb-option-warn', hidden: true });
  const menu = options.length
    ? h('fieldset', { class: 'sb-field sb-group sb-options', 'aria-describedby': 'sb-option-warn' }, h('legend', {}, t('chooseOption')), ...optionBoxes.map((b, n) => h('label', { class: 'sb-choice', for: b.id }, b, ' ', txt(options[n]!.label))), optionWarn)
    : null;
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('startChat'));
  const el = h('form', { class: 'sb-panel', novalidate: true }, h('h2', { tabindex: '-1' }, t('chat')), form.el, menu, button);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const fieldsOut = form.collect();
    const option = optionBoxes.find((b) => b.checked)?.value;
    optionWarn.hidden = !!option || !options.length;
    optionWarn.textContent = t('required');
    if (!fieldsOut || (options.length && !option)) return;
    // Kept for the offline form, should nobody be able to take the chat.
    if (typeof fieldsOut.name === 'string') app.contact.name = fieldsOut.name;
    if (typeof fieldsOut.email === 'string') app.contact.email = fieldsOut.email;
    button.disabled = true;
    start(fieldsOut, option, Object.values(form.files()))
      .catch((err: unknown) => {
        if (!(err instanceof ApiError && form.showProblems(err.fields))) app.shell.error(app.shell.failure(err), () => button.click());
      })
      .finally(() => (button.disabled = false));
  });
  app.shell.view(app.backButton(), el);
}

/** Closed or nobody free: what the server said, and the website's offline form for a message. */
export function offlineForm(app: App, session: ChatSession, s: Started): void {
  const form = renderForm(s.offlineForm ?? DEFAULT_FORMS.offline, { name: app.contact.name, email: app.contact.email });
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
  const el = h(
    'form',
    { class: 'sb-panel', novalidate: true },
    h('div', { class: 'sb-notice' }, h('p', {}, s.notice ?? t(s.outcome === 'closed' ? 'closed' : 'unmanaged')), s.nextOpening ? h('p', { class: 'sb-next' }, t('nextOpening', { when: when(s.nextOpening) })) : null),
    h('h2', { tabindex: '-1' }, t('leaveMessage')),
    form.el,
    button,
  );
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const out = form.collect();
    if (!out) return;
    button.disabled = true;
    session
      .leaveMessage(out)
      .then(() => app.shell.view(h('section', { class: 'sb-done' }, h('h2', { tabindex: '-1' }, t('thanks')), h('p', {}, t('messageLeft')), h('button', { type: 'button', class: 'sb-secondary', onclick: () => app.home() }, t('home')))))
      .catch((err: unknown) => {
        if (!(err instanceof ApiError && form.showProblems(err.fields))) app.shell.error(app.shell.failure(err), () => button.click());
      })
      .finally(() => (button.disabled = false));
  });
  app.shell.view(app.backButton(), el);
}
