// The page behind the rating mail's link: a callback or mail ticket rated 1–5 with a comment, once.
// Opening the link only shows the form (mail scanners open links); the form posts back to the same
// address. The interaction and the token are both in the address: the token is checked against the
// hash kept in the interaction's `csat.invited` journey step.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { DataSource } from 'typeorm';
import { mount, type RouteDeps } from '../../kernel/http/route.js';
import { HttpError } from '../../kernel/http/errors.js';
import type { Config } from '../../kernel/config/schema.js';
import { Interaction } from '../interactions/index.js';
import { CsatRating } from './csat-rating.entity.js';
import { CSAT_COMMENT_MAX } from './schema.js';
import { isRatingToken, tokenFits } from './invite.js';
import { RATING_WORDS, type RatingLanguage } from './rating-words.js';
import type { CsatService } from './service.js';

const OPEN = ['new', 'queued', 'offered', 'assigned', 'conference'];
/** A comment of 1,000 characters, each up to 4 UTF-8 bytes written as %XX: well within this. */
const BODY_LIMIT = 16 * 1024;

const esc = (v: string) => v.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(ctx: Context, status: number, code: string, lang: RatingLanguage, body: string): void {
  const w = RATING_WORDS[lang];
  ctx.status = status;
  ctx.type = 'text/html; charset=utf-8';
  ctx.set('Cache-Control', 'no-store');
  // Not no-referrer: with it a browser posts the form with `Origin: null`, which the cross-site
  // check refuses. same-origin sends the link (and its token) to this server only.
  ctx.set('Referrer-Policy', 'same-origin');
  ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  ctx.body = `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${esc(w.title)}</title><style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}fieldset{border:0;padding:0}label{margin-right:.75rem}textarea{width:100%;font:inherit}button{font:inherit;padding:.5rem 1rem}.error{color:#b91c1c}</style></head><body data-code="${code}"><main><h1>${esc(w.title)}</h1>${body}</main></body></html>`;
}

function form(lang: RatingLanguage, site: string, problem?: string, comment = ''): string {
  const w = RATING_WORDS[lang];
  const stars = [1, 2, 3, 4, 5].map((n) => `<label><input type="radio" name="rating" value="${n}" required> ${n}</label>`).join('');
  return `<p>${esc(site)}</p>${problem ? `<p class="error" role="alert">${esc(problem)}</p>` : ''}<form method="post"><fieldset><legend>${esc(w.ask)}</legend><p>${stars}</p><p><small>${esc(w.scale[0])} · ${esc(w.scale[1])}</small></p></fieldset><p><label for="comment">${esc(w.comment)}</label><textarea id="comment" name="comment" rows="4" maxlength="${CSAT_COMMENT_MAX}">${esc(comment)}</textarea></p><button type="submit">${esc(w.send)}</button></form>`;
}

async function readForm(ctx: Context): Promise<URLSearchParams | null> {
  if (Number(ctx.get('content-length') || 0) > BODY_LIMIT) return null;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > BODY_LIMIT) return null;
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

export function ratingPageRoutes(router: Router, deps: RouteDeps, d: { db: DataSource; config: () => Config; csat: CsatService }): void {
  const language = (ctx: Context): RatingLanguage => {
    const asked = String(ctx.query.lang ?? '');
    return asked in RATING_WORDS ? (asked as RatingLanguage) : ((ctx.acceptsLanguages('en', 'it', 'fr') || 'en') as RatingLanguage);
  };

  /** The interaction the link is for, with its website, or null once a refusal page is written. */
  const target = async (ctx: Context, lang: RatingLanguage) => {
    const w = RATING_WORDS[lang];
    const id = String(ctx.params.interactionId ?? '');
    const token = String(ctx.params.token ?? '');
    if (!/^[0-9a-f]{32}$/.test(id) || !isRatingToken(token)) return page(ctx, 400, 'bad_request', lang, `<p>${esc(w.malformed)}</p>`), null;
    const i = await d.db.getRepository(Interaction).findOneBy({ id });
    // An unknown interaction and a wrong token answer alike.
    if (!i || !(await tokenFits(d.db, id, token))) return page(ctx, 404, 'not_found', lang, `<p>${esc(w.unknown)}</p>`), null;
    const website = d.config().websites.find((x) => x.id === i.websiteId);
    if (!website?.csat.enabled) return page(ctx, 403, 'csat_disabled', lang, `<p>${esc(w.off)}</p>`), null;
    if (OPEN.includes(i.state)) return page(ctx, 409, 'open', lang, `<p>${esc(w.open)}</p>`), null;
    return { i, website };
  };
  const rated = (id: string) => d.db.getRepository(CsatRating).existsBy({ interactionId: id });

  mount(router, deps, {
    method: 'get',
    path: '/rate/:interactionId/:token',
    summary: "The rating mail's link: a form to rate the callback or mail ticket 1–5 with an optional comment (opening it rates nothing)",
    tag: 'feedback',
    access: 'public',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const lang = language(ctx);
      const t = await target(ctx, lang);
      if (!t) return;
      if (await rated(t.i.id)) return page(ctx, 200, 'already_rated', lang, `<p>${esc(RATING_WORDS[lang].already)}</p>`);
      page(ctx, 200, 'form', lang, form(lang, t.website.name));
    },
  });
  mount(router, deps, {
    method: 'post',
    path: '/rate/:interactionId/:token',
    summary: "The rating form: stores the rating (1–5) and comment like the widget's, with a csat.rated journey step; once per interaction",
    tag: 'feedback',
    access: 'public',
    rateLimit: 'widget',
    // The page's own form posts here, as a form.
    rawBody: true,
    handler: async (ctx) => {
      const lang = language(ctx);
      const w = RATING_WORDS[lang];
      const t = await target(ctx, lang);
      if (!t) return;
      const body = await readForm(ctx);
      if (!body) return page(ctx, 413, 'too_large', lang, form(lang, t.website.name, w.tooLong.replace('{max}', String(CSAT_COMMENT_MAX))));
      const comment = (body.get('comment') ?? '').trim();
      const rating = body.get('rating') ?? '';
      if (!/^[1-5]$/.test(rating)) return page(ctx, 400, 'invalid_rating', lang, form(lang, t.website.name, w.pick, comment));
      if ([...comment].length > CSAT_COMMENT_MAX) return page(ctx, 400, 'comment_too_long', lang, form(lang, t.website.name, w.tooLong.replace('{max}', String(CSAT_COMMENT_MAX)), [...comment].slice(0, CSAT_COMMENT_MAX).join('')));
      try {
        await d.csat.rate(t.website, t.i, { rating: Number(rating), ...(comment ? { comment } : {}) });
      } catch (err) {
        if (err instanceof HttpError && err.code === 'already_rated') return page(ctx, 409, 'already_rated', lang, `<p>${esc(w.already)}</p>`);
        throw err;
      }
      page(ctx, 201, 'rated', lang, `<p>${esc(w.thanks)}</p>`);
    },
  });
}

