// The page behind the confirmation mail's cancel link. Opening the link only shows the callback
// and a button: mail scanners and link previews open links, and must not cancel anything. The
// button posts back to the same address (same origin), which cancels — idempotently.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { mount, type RouteDeps } from '../../kernel/http/route.js';
import type { CallbacksKit } from './types.js';
import { HttpError } from '../../kernel/http/errors.js';
import { hashToken, reference } from '../intake/index.js';
import { Callback } from './callback.entity.js';
import { callTime, isCallbackToken, websiteZone } from './confirmation.js';
import { withdraw } from './visitor.js';

type Language = 'en' | 'it' | 'fr';

const WORDS: Record<Language, Record<'title' | 'ask' | 'button' | 'cancelled' | 'tooLate' | 'unknown' | 'malformed' | 'done' | 'when', string>> = {
  en: {
    title: 'Your callback',
    ask: 'Do you want to cancel this callback?',
    button: 'Cancel the callback',
    cancelled: 'This callback is cancelled. We will not call you.',
    tooLate: 'This callback cannot be cancelled any more: it is {state}.',
    unknown: 'This link does not lead to a callback. Check that it is complete, as in the mail.',
    malformed: 'This link is not complete. Open it as it is in the mail.',
    done: 'This callback is over ({state}).',
    when: 'We will call you: {when}',
  },
  it: {
    title: 'La tua richiamata',
    ask: 'Vuoi annullare questa richiamata?',
    button: 'Annulla la richiamata',
    cancelled: 'Questa richiamata è annullata. Non ti chiameremo.',
    tooLate: 'Questa richiamata non si può più annullare: è {state}.',
    unknown: 'Questo link non porta a nessuna richiamata. Controlla che sia completo, come nella email.',
    malformed: 'Questo link non è completo. Aprilo così com’è nella email.',
    done: 'Questa richiamata è conclusa ({state}).',
    when: 'Ti chiameremo: {when}',
  },
  fr: {
    title: 'Votre rappel',
    ask: 'Voulez-vous annuler ce rappel ?',
    button: 'Annuler le rappel',
    cancelled: 'Ce rappel est annulé. Nous ne vous appellerons pas.',
    tooLate: 'Ce rappel ne peut plus être annulé : il est {state}.',
    unknown: 'Ce lien ne mène à aucun rappel. Vérifiez qu’il est complet, comme dans l’e-mail.',
    malformed: 'Ce lien n’est pas complet. Ouvrez-le tel qu’il est dans l’e-mail.',
    done: 'Ce rappel est terminé ({state}).',
    when: 'Nous vous appellerons : {when}',
  },
};

const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const fill = (text: string, v: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => v[k] ?? '');

function page(ctx: Context, status: number, code: string, lang: Language, title: string, body: string): void {
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  // Not no-referrer: with it a browser posts the cancel button's form with `Origin: null`, which the
  // cross-site check refuses. same-origin sends the link (and its token) to this server only.
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  ctx.body = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}button{font:inherit;padding:.5rem 1rem}</style></head><body data-code="${code}"><main><h1>${esc(title)}</h1>${body}</main></body></html>`;
}

/** The callback this token was given for: the token's hash is looked up, never the token. */
async function byToken(s: CallbacksKit, ctx: Context, lang: Language): Promise<Callback | null> {
  const token = String(ctx.params.token ?? '');
  const w = WORDS[lang];
  if (!isCallbackToken(token)) {
    page(ctx, 400, 'bad_request', lang, w.title, `<p>${esc(w.malformed)}</p>`);
    return null;
  }
  const cb = await s.db.getRepository(Callback).findOneBy({ tokenHash: hashToken(token) });
  if (!cb) page(ctx, 404, 'not_found', lang, w.title, `<p>${esc(w.unknown)}</p>`);
  return cb;
}

async function show(s: CallbacksKit, ctx: Context, cb: Callback, lang: Language, note?: string): Promise<void> {
  const w = WORDS[lang];
  const i = await s.routing.get(cb.interactionId);
  const website = s.config().websites.find((x) => x.id === i?.websiteId);
  const head = `<p>${esc(website?.name ?? '')} · <strong class="reference">${esc(reference('CB', cb.id))}</strong></p>`;
  if (cb.state === 'cancelled') return page(ctx, 200, 'cancelled', lang, w.title, `${head}<p class="state">${esc(w.cancelled)}</p>`);
  if (cb.state !== 'scheduled' && cb.state !== 'queued') return page(ctx, note ? 409 : 200, note ? 'conflict' : cb.state, lang, w.title, `${head}<p class="state">${esc(fill(note ? w.tooLate : w.done, { state: cb.state }))}</p>`);
  const when = website ? `<p>${esc(fill(w.when, { when: callTime(cb, websiteZone(s.config(), website), lang) }))}</p>` : '';
  page(ctx, 200, cb.state, lang, w.title, `${head}${when}<form method="post"><p>${esc(w.ask)}</p><button type="submit">${esc(w.button)}</button></form>`);
}

export function cancelPageRoutes(router: Router, deps: RouteDeps, s: CallbacksKit): void {
  const lang = (ctx: Context): Language => (ctx.acceptsLanguages('en', 'it', 'fr') || 'en') as Language;
  mount(router, deps, {
    method: 'get',
    path: '/callbacks/cancel/:token',
    summary: "The confirmation mail's cancel link: shows the callback and a button to cancel it (opening it cancels nothing)",
    tag: 'callbacks',
    access: 'public',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const cb = await byToken(s, ctx, lang(ctx));
      if (cb) await show(s, ctx, cb, lang(ctx));
    },
  });
  mount(router, deps, {
    method: 'post',
    path: '/callbacks/cancel/:token',
    summary: "The cancel link's button: cancels the callback (job removed, interaction closed); again changes nothing",
    tag: 'callbacks',
    access: 'public',
    rateLimit: 'widget',
    // The page's own form posts here; the body carries nothing (the token is in the address).
    rawBody: true,
    handler: async (ctx) => {
      const cb = await byToken(s, ctx, lang(ctx));
      if (!cb) return;
      try {
        await show(s, ctx, await withdraw(s, cb, 'mail'), lang(ctx));
      } catch (err) {
        if (!(err instanceof HttpError && err.status === 409)) throw err;
        await show(s, ctx, await s.db.getRepository(Callback).findOneByOrFail({ id: cb.id }), lang(ctx), 'too late');
      }
    },
  });
}
