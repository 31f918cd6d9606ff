// Callback and mail: one form each, a confirmation with the reference the server gives.
import { h } from './dom';
import { t, when } from './i18n';
import { DEFAULT_FORMS, type ApiErrorBody, type CallbackRequested, type CallbackSlots, type TicketOpened } from '@switchboard/protocol';
import { ApiError, apiBase, call, type Field } from './api';
import { renderForm } from './form';
import type { App } from './app';
import { rememberCallback, statusCard, statusView, type CallbackStatus } from './callback-status';


const PHONE = /^\+?[0-9 ().-]+$/;
const phoneOk = (v: string) => PHONE.test(v) && v.replace(/\D/g, '').length >= 6 && v.replace(/\D/g, '').length <= 15;

/** Sends a form; server-named field problems go beside their fields, anything else to the strip. */
export async function submit(app: App, form: ReturnType<typeof renderForm>, button: HTMLButtonElement, send: () => Promise<void>): Promise<void> {
  button.disabled = true;
  try {
    await send();
  } catch (err) {
    if (!(err instanceof ApiError && form.showProblems(err.fields))) app.shell.error(app.shell.failure(err), () => button.click());
  } finally {
    button.disabled = false;
  }
}

function done(app: App, text: string): void {
  app.shell.view(h('section', { class: 'sb-done', 'aria-live': 'polite' }, h('h2', { tabindex: '-1' }, t('thanks')), h('p', { class: 'sb-reference' }, text), h('button', { type: 'button', class: 'sb-secondary', onclick: () => app.home() }, t('home'))));
}

/** The request is in: its reference, when we call, Cancel; remembered for the next visit. */
export function callbackDone(app: App, r: CallbackStatus & { mailed: boolean }): void {
  rememberCallback(r.callbackId);
  app.shell.view(
    h('section', { class: 'sb-done', 'aria-live': 'polite' }, h('h2', { tabindex: '-1' }, t('thanks')), statusCard(app, r), r.mailed ? h('p', { class: 'sb-mailed' }, t('confirmationMailed')) : null, h('button', { type: 'button', class: 'sb-secondary', onclick: () => app.home() }, t('home'))),
  );
}

/** The website's callback form (or the default), as the callback and keep-my-place screens show it. */
export const callbackFields = (app: App): readonly Field[] => (app.config.forms.callback.length ? app.config.forms.callback : DEFAULT_FORMS.callback);

/** The form's answers, or null with the problem shown beside the phone field (or any other). */
export function collectCallback(fields: readonly Field[], form: ReturnType<typeof renderForm>): Record<string, unknown> | null {
  const out = form.collect();
  if (!out) return null;
  const phoneName = fields.find((f) => f.type !== 'label' && (f.name === 'phone' || JSON.stringify(f.mapsTo ?? '').includes('"phone"')));
  const phone = phoneName && 'name' in phoneName ? String(out[phoneName.name] ?? '') : '';
  if (phoneName && 'name' in phoneName && phone && !phoneOk(phone)) {
    form.showProblems([{ field: `fields.${phoneName.name}`, problem: t('invalidPhone') }]);
    return null;
  }
  return out;
}

export async function callbackView(app: App): Promise<void> {
  const fields = callbackFields(app);
  const form = renderForm(fields, { phone: app.contact.phone, email: app.contact.email });
  const slot = h('select', { id: 'sb-slot', name: 'slot' }, h('option', { value: 'asap' }, t('asap')));
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
  const requests = h('button', { type: 'button', class: 'sb-secondary sb-your-requests', onclick: () => void statusView(app) }, t('yourRequests'));
  const el = h('form', { class: 'sb-panel', novalidate: true }, h('h2', { tabindex: '-1' }, t('callback')), form.el, h('div', { class: 'sb-field' }, h('label', { for: 'sb-slot' }, t('when')), slot), button, requests);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const fieldsOut = collectCallback(fields, form);
    if (!fieldsOut) return;
    void submit(app, form, button, async () => {
      const r = await call<CallbackRequested>('POST', '/callbacks', { fields: fieldsOut, slot: slot.value, language: app.lang });
      callbackDone(app, { ...r, state: 'scheduled' });
    });
  });
  app.shell.view(app.backButton(), el);
  try {
    const r = await call<CallbackSlots>('GET', '/callbacks/slots');
    for (const s of r.slots) slot.append(h('option', { value: s.start }, when(s.start)));
  } catch {
    // Without slots the visitor can still ask for "as soon as possible".
  }
}

/** The ticket exists already: a file that fails is reported, the reference stays valid. */
async function sendFiles(app: App, ticketId: string, token: string, files: Record<string, File>): Promise<void> {
  for (const [field, file] of Object.entries(files)) {
    try {
      const res = await fetch(`${apiBase}/mail/${ticketId}/files?field=${encodeURIComponent(field)}&name=${encodeURIComponent(file.name)}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': file.type || 'application/octet-stream' },
        body: file,
      });
      if (!res.ok) throw new ApiError(res.status, ((await res.json().catch(() => ({}))) as Partial<ApiErrorBody>).error?.message ?? `HTTP ${res.status}`);
    } catch (err) {
      app.shell.error(`${file.name}: ${app.shell.failure(err)}`);
    }
  }
}

export function mailView(app: App, offline = false, notice?: string | null, nextOpening?: string | null): void {
  const forms = app.config.forms;
  const fields = offline ? (forms.offline.length ? forms.offline : DEFAULT_FORMS.offline) : forms.mail.length ? forms.mail : DEFAULT_FORMS.mail;
  const form = renderForm(fields, { name: app.contact.name, email: app.contact.email });
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
  const intro = offline ? h('div', { class: 'sb-notice' }, notice ? h('p', {}, notice) : null, nextOpening ? h('p', { class: 'sb-next' }, t('nextOpening', { when: when(nextOpening) })) : null) : null;
  const el = h('form', { class: 'sb-panel', novalidate: true }, intro, h('h2', { tabindex: '-1' }, offline ? t('leaveMessage') : t('mail')), form.el, button);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const fieldsOut = form.collect();
    if (!fieldsOut) return;
    void submit(app, form, button, async () => {
      const r = await call<TicketOpened>('POST', '/mail', { fields: fieldsOut, offline, language: app.lang });
      done(app, offline ? `${t('messageLeft')} ${t('ticket', { ref: r.reference })}` : t('ticket', { ref: r.reference }));
      if (r.uploadToken) await sendFiles(app, r.ticketId, r.uploadToken, form.files());
    });
  });
  app.shell.view(offline && !app.config.hours.open ? null : app.backButton(), el);
}
