// Keep my place: from the waiting screen of a chat or a call the visitor leaves a number instead
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

interface Leaving {
  /** The wait is over (the callback took its place); called before the confirmation shows. */
  left(): void;
  /** The request is on its way (true) or came back refused (false, with why). */
  sending?(on: boolean, err?: unknown): void;
}

function keepPlaceForm(app: App, waiting: Waiting, leaving: Leaving): HTMLFormElement {
  const fields = callbackFields(app);
  const form = renderForm(fields, { phone: app.contact.phone, email: app.contact.email });
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
  const el = h('form', { class: 'sb-panel sb-keep-place', novalidate: true }, h('h2', { tabindex: '-1' }, t('keepPlace')), h('p', {}, t('keepPlaceIntro')), form.el, button);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const fieldsOut = collectCallback(fields, form);
    if (!fieldsOut) return;
    leaving.sending?.(true);
    void submit(app, form, button, async () => {
      try {
        const r = await call<CallbackRequested & { keptPlace: boolean; position: number | null }>('POST', '/callbacks/keep-place', { interactionId: waiting.interactionId, fields: fieldsOut, language: app.lang }, waiting.token);
        leaving.left();
        callbackDone(app, { ...r, state: r.keptPlace ? 'queued' : 'scheduled' });
      } catch (err) {
        leaving.sending?.(false, err);
        throw err;
      }
    });
  });
  return el;
}

/** `back`: to the wait, unchanged. `left`: the wait is over (the callback took its place). */
export function keepPlaceView(app: App, waiting: Waiting, back: () => void, left: () => void): void {
  app.shell.view(h('button', { type: 'button', class: 'sb-back', onclick: back }, `\u2190 ${t('back')}`), keepPlaceForm(app, waiting, { left }));
}

/**
 * From a call waiting in the queue: the form opens under the call, so the visitor goes on hearing
 * the queue while filling it in; Back closes it and shows `offer` again.
 */
export function keepPlaceUnderCall(app: App, waiting: Waiting, offer: HTMLElement, leaving: Leaving): void {
  offer.hidden = true;
  const form = keepPlaceForm(app, waiting, leaving);
  const close = () => {
    box.remove();
    offer.hidden = false;
    offer.focus();
  };
  const box = h('div', { class: 'sb-keep-place-call' }, h('button', { type: 'button', class: 'sb-back', onclick: close }, `\u2190 ${t('back')}`), form);
  offer.after(box);
  form.querySelector('h2')?.focus();
}
