// The end screen's satisfaction question (websites with csat.enabled): five choices and an
// optional comment, sent once with the chat's token; then a thank-you in its place.
import { h, uid } from '../dom';
import { t } from '../i18n';
import type { Shell } from '../shell';
import type { ChatSession } from './session';

const COMMENT_MAX = 1000;

export function ratingForm(session: ChatSession, shell: Shell): HTMLElement {
  const name = uid('sb-rate');
  const choices = [1, 2, 3, 4, 5].map((n) =>
    h('label', { class: 'sb-star' }, h('input', { type: 'radio', name, value: String(n), 'aria-label': t('rateStar', { n }) }), h('span', { 'aria-hidden': 'true' }, String(n))),
  );
  const commentId = uid('sb-rate-comment');
  const comment = h('textarea', { id: commentId, rows: 2, maxlength: COMMENT_MAX, class: 'sb-rate-comment' });
  const send = h('button', { type: 'submit', class: 'sb-secondary sb-rate-send', disabled: true }, t('rateSend'));
  const form = h(
    'form',
    { class: 'sb-rating', novalidate: true },
    h('fieldset', {}, h('legend', {}, t('rateTitle')), h('div', { class: 'sb-stars' }, ...choices)),
    h('label', { for: commentId }, t('rateComment')),
    comment,
    send,
  );
  form.addEventListener('change', () => (send.disabled = !form.querySelector('input:checked')));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const picked = form.querySelector<HTMLInputElement>('input:checked');
    if (!picked) return;
    send.disabled = true;
    session.rate(Number(picked.value), comment.value.slice(0, COMMENT_MAX)).then(
      () => {
        form.replaceWith(h('p', { class: 'sb-rate-thanks', role: 'status' }, t('rateThanks')));
        shell.succeeded('rating');
      },
      (err: unknown) => {
        send.disabled = false;
        shell.error(shell.failure(err), () => form.requestSubmit(), 'rating');
      },
    );
  });
  return form;
}
