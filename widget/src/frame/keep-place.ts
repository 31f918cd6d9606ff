// Keep my place: from the waiting screen of a chat (or call) the visitor leaves a number instead
// of waiting on. The server keeps their place in the queue for the callback and ends the wait.
import { h } from './dom';
import { t } from './i18n';
import { call } from './api';
import { renderForm } from './form';
import { callbackDone, callbackFields, collectCallback, submit } from './intake';
import type { CallbackRequested } from '@switchboard/protocol';
import type { App } from './app';

export interface Waiting {
  interactionId: string;
  /** The chat's (or call's) visitor token: proves the wait is the visitor's own. */
  token: string;
}

/** `back`: to the wait, unchanged. `left`: the wait is over (the callback took its place). */
export function keepPlaceView(app: App, waiting: Waiting, back: () => void, left: () => void): void {
  const fields = callbackFields(app);
  const form = renderForm(fields, { phone: app.contact.phone, email: app.contact.email });
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
  const el = h('form', { class: 'sb-panel sb-keep-place', novalidate: true }, h('h2', { tabindex: '-1' }, t('keepPlace')), h('p', {}, t('keepPlaceIntro')), form.el, button);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const fieldsOut = collectCallback(fields, form);
    if (!fieldsOut) return;
    void submit(app, form, button, async () => {
      const r = await call<CallbackRequested & { keptPlace: boolean; position: number | null }>('POST', '/callbacks/keep-place', { interactionId: waiting.interactionId, fields: fieldsOut, language: app.lang }, waiting.token);
      left();
      callbackDone(app, { ...r, state: r.keptPlace ? 'queued' : 'scheduled' });
    });
  });
  app.shell.view(h('button', { type: 'button', class: 'sb-back', onclick: back }, `\u2190 ${t('back')}`), el);
}
