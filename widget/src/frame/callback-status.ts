// The visitor's callback requests after asking: where each stands, and a Cancel button. The ones
// asked from this browser are remembered (their id, which proves the asking); another can be found
// by its reference and the last digits of the number.
import { clear, h } from './dom';
import { t, when } from './i18n';
import type { CallbackFound } from '@switchboard/protocol';
import { ApiError, call, websiteId } from './api';
import type { App } from './app';

/** A callback as the widget shows it: what the server says of it, with the id it was asked by. */
export type CallbackStatus = Omit<CallbackFound, 'attempts'> & {
  /** Kept its place in a queue it was waiting in (virtual hold). */
  keptPlace?: boolean;
};

const STORE = `sb-callbacks:${websiteId}`;
const KEEP = 5;

export function rememberedCallbacks(): string[] {
  try {
    const v = JSON.parse(localStorage.getItem(STORE) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && /^[0-9a-f]{32}$/.test(x)).slice(0, KEEP) : [];
  } catch {
    return [];
  }
}

export function rememberCallback(id: string): void {
  try {
    localStorage.setItem(STORE, JSON.stringify([id, ...rememberedCallbacks().filter((x) => x !== id)].slice(0, KEEP)));
  } catch {
    // Storage can be blocked (privacy settings): the reference still finds it.
  }
}

function forget(id: string): void {
  try {
    localStorage.setItem(STORE, JSON.stringify(rememberedCallbacks().filter((x) => x !== id)));
  } catch {
    // Nothing was stored.
  }
}

const OPEN = ['scheduled', 'queued'];

/** One request: reference, what happens next, and Cancel while it can still be cancelled. */
export function statusCard(app: App, s: CallbackStatus): HTMLElement {
  const card = h('div', { class: 'sb-callback', 'data-reference': s.reference, 'data-state': s.state });
  const render = (c: CallbackStatus) => {
    clear(card);
    card.dataset.state = c.state;
    const next = c.state === 'cancelled' ? t('callbackCancelled') : !OPEN.includes(c.state) ? t(c.state === 'dialling' ? 'callbackDialling' : 'callbackOver') : c.keptPlace ? t('callbackKeptPlace') : c.slot ? t('callbackAt', { when: when(c.slot.start) }) : t('callbackAsap');
    const cancel = h('button', { type: 'button', class: 'sb-secondary sb-cancel-callback' }, t('cancelCallback'));
    cancel.addEventListener('click', () => {
      cancel.disabled = true;
      call<CallbackStatus>('POST', `/callbacks/${c.callbackId}/cancel`).then(
        (r) => render({ ...c, ...r }),
        (err: unknown) => {
          cancel.disabled = false;
          // Dialling began meanwhile: show where it stands now.
          if (err instanceof ApiError && err.status === 409) void refresh(c.callbackId).then((r) => r && render(r));
          else app.shell.error(app.shell.failure(err), () => cancel.click());
        },
      );
    });
    card.append(h('p', { class: 'sb-reference' }, t('yourReference', { ref: c.reference })), h('p', { class: 'sb-callback-state', 'aria-live': 'polite' }, next));
    if (OPEN.includes(c.state)) card.append(cancel);
  };
  render(s);
  return card;
}

async function refresh(id: string): Promise<CallbackStatus | null> {
  try {
    return { ...(await call<Omit<CallbackStatus, 'callbackId'>>('GET', `/callbacks/${id}`)), callbackId: id };
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) forget(id);
    return null;
  }
}

/** The remembered requests and a form to find another by its reference. */
export async function statusView(app: App): Promise<void> {
  // Busy until the remembered requests are read: an empty list means "none" only after that.
  const list = h('div', { class: 'sb-callbacks', 'aria-busy': 'true' });
  const reference = h('input', { id: 'sb-lookup-ref', name: 'reference', autocomplete: 'off', placeholder: 'CB-…', maxlength: 11 });
  const digits = h('input', { id: 'sb-lookup-digits', name: 'phoneEnd', inputmode: 'numeric', autocomplete: 'off', maxlength: 4 });
  const problem = h('p', { class: 'sb-warn', role: 'alert', hidden: true });
  const button = h('button', { type: 'submit', class: 'sb-primary' }, t('findRequest'));
  const form = h(
    'form',
    { class: 'sb-panel sb-lookup', novalidate: true },
    h('h3', {}, t('findRequest')),
    h('div', { class: 'sb-field' }, h('label', { for: 'sb-lookup-ref' }, t('reference')), reference),
    h('div', { class: 'sb-field' }, h('label', { for: 'sb-lookup-digits' }, t('phoneEnd')), digits),
    problem,
    button,
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    problem.hidden = true;
    const ref = reference.value.trim().toUpperCase();
    if (!/^CB-[0-9A-F]{8}$/.test(ref) || !/^[0-9]{4}$/.test(digits.value)) {
      problem.textContent = t('lookupInvalid');
      problem.hidden = false;
      return;
    }
    button.disabled = true;
    call<CallbackStatus>('POST', '/callbacks/lookup', { reference: ref, phoneEnd: digits.value })
      .then(
        (r) => {
          rememberCallback(r.callbackId);
          list.querySelector(`[data-reference="${r.reference}"]`)?.remove();
          list.prepend(statusCard(app, r));
          form.reset();
        },
        (err: unknown) => {
          problem.textContent = err instanceof ApiError && err.status === 404 ? t('lookupNotFound') : err instanceof ApiError && err.status === 429 ? t('lookupTooMany') : app.shell.failure(err);
          problem.hidden = false;
        },
      )
      .finally(() => (button.disabled = false));
  });
  app.shell.view(app.backButton(), h('section', { class: 'sb-panel' }, h('h2', { tabindex: '-1' }, t('yourRequests')), list), form);
  try {
    for (const id of rememberedCallbacks()) {
      const s = await refresh(id);
      if (s) list.append(statusCard(app, s));
    }
  } finally {
    list.setAttribute('aria-busy', 'false');
  }
}
