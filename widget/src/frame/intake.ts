// Callback and mail: one form each, a confirmation with the reference the server gives.
import { h } from './dom';
import { t, when } from './i18n';
import { ApiError, apiBase, call, type Field } from './api';
import { renderForm } from './form';
import type { App } from './main';

const DEFAULT_CALLBACK: Field[] = [
  { type: 'text', name: 'phone', label: 'Phone number', required: true, maxLength: 32 },
  { type: 'textarea', name: 'message', label: 'Message', required: false, maxLength: 500 },
];
const DEFAULT_MAIL: Field[] = [
  { type: 'email', name: 'email', label: 'Email', required: true },
  { type: 'text', name: 'subject', label: 'Subject', required: true, maxLength: 200 },
  { type: 'textarea', name: 'body', label: 'Message', required: true, maxLength: 20000 },
];
export const DEFAULT_OFFLINE: Field[] = [
  { type: 'text', name: 'name', label: 'Name', required: true, maxLength: 200 },
  { type: 'email', name: 'email', label: 'Email', required: true },
  { type: 'textarea', name: 'message', label: 'Message', required: true, maxLength: 2000 },
];

const PHONE = /^\+?[0-9 ().-]+$/;
const phoneOk = (v: string) => PHONE.test(v) && v.replace(/\D/g, '').length >= 6 && v.replace(/\D/g, '').length <= 15;

/** Sends a form; server-named field problems go beside their fields, anything else to the strip. */
async function submit(app: App, form: ReturnType<typeof renderForm>, button: HTMLButtonElement, send: () => Promise<void>): Promise<void> {
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

export async function callbackView(app: App): Promise<void> {
  const fields = app.config.forms.callback.length ? app.config.forms.callback : DEFAULT_CALLBACK;
  const form = renderForm(fields, { phone: app.contact.phone });
  const slot = h('select', { id: 'sb-slot', name: 'slot' }, h('option', { value: 'asap' }, t('asap')));
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
  const el = h('form', { class: 'sb-panel', novalidate: true }, h('h2', { tabindex: '-1' }, t('callback')), form.el, h('div', { class: 'sb-field' }, h('label', { for: 'sb-slot' }, t('when')), slot), button);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const fieldsOut = form.collect();
    if (!fieldsOut) return;
    const phoneName = fields.find((f) => f.type !== 'label' && (f.name === 'phone' || JSON.stringify(f.mapsTo ?? '').includes('"phone"')));
    const phone = phoneName && 'name' in phoneName ? String(fieldsOut[phoneName.name] ?? '') : '';
    if (phoneName && 'name' in phoneName && phone && !phoneOk(phone)) {
      form.showProblems([{ field: `fields.${phoneName.name}`, problem: t('invalidPhone') }]);
      return;
    }
    void submit(app, form, button, async () => {
      const r = await call<{ reference: string }>('POST', '/callbacks', { fields: fieldsOut, slot: slot.value, language: app.lang });
      done(app, t('callbackDone', { ref: r.reference }));
    });
  });
  app.shell.view(app.backButton(), el);
  try {
    const r = await call<{ slots: { start: string }[] }>('GET', '/callbacks/slots');
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
      if (!res.ok) throw new ApiError(res.status, ((await res.json().catch(() => ({}))) as { error?: { message: string } }).error?.message ?? `HTTP ${res.status}`);
    } catch (err) {
      app.shell.error(`${file.name}: ${app.shell.failure(err)}`);
    }
  }
}

export function mailView(app: App, offline = false, notice?: string | null, nextOpening?: string | null): void {
  const forms = app.config.forms;
  const fields = offline ? (forms.offline.length ? forms.offline : DEFAULT_OFFLINE) : forms.mail.length ? forms.mail : DEFAULT_MAIL;
  const form = renderForm(fields, { name: app.contact.name, email: app.contact.email });
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('submit'));
  const intro = offline ? h('div', { class: 'sb-notice' }, notice ? h('p', {}, notice) : null, nextOpening ? h('p', { class: 'sb-next' }, t('nextOpening', { when: when(nextOpening) })) : null) : null;
  const el = h('form', { class: 'sb-panel', novalidate: true }, intro, h('h2', { tabindex: '-1' }, offline ? t('leaveMessage') : t('mail')), form.el, button);
  el.addEventListener('submit', (e) => {
    e.preventDefault();
    const fieldsOut = form.collect();
    if (!fieldsOut) return;
    void submit(app, form, button, async () => {
      const r = await call<{ reference: string; ticketId: string; uploadToken?: string }>('POST', '/mail', { fields: fieldsOut, offline, language: app.lang });
      done(app, offline ? `${t('messageLeft')} ${t('ticket', { ref: r.reference })}` : t('ticket', { ref: r.reference }));
      if (r.uploadToken) await sendFiles(app, r.ticketId, r.uploadToken, form.files());
    });
  });
  app.shell.view(offline && !app.config.hours.open ? null : app.backButton(), el);
}
