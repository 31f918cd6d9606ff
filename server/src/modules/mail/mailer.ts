import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { SwitchboardFile } from '../../kernel/config/schema.js';

type Main = Pick<SwitchboardFile, 'smtp' | 'imap'>;

/** The address part of `Name <a@b>` or `a@b`. */
export function addressOf(v: string): string | null {
  const m = /<([^<>\s]+@[^<>\s]+)>/.exec(v) ?? /^\s*([^<>\s]+@[^<>\s]+)\s*$/.exec(v);
  return m ? m[1]! : null;
}

/** Our mail domain: the sender's, so Message-IDs say who wrote the mail. */
export function ourDomain(main: Main): string {
  const a = main.smtp ? addressOf(main.smtp.from) : null;
  return (a?.split('@')[1] ?? os.hostname()).toLowerCase();
}

export function newMessageId(main: Main): string {
  return `<${randomBytes(16).toString('hex')}@${ourDomain(main)}>`;
}

/** The support mailbox customers answer to. */
export function supportAddress(main: Main): string | null {
  if (main.smtp?.replyTo) return main.smtp.replyTo;
  if (main.imap?.user.includes('@')) return main.imap.user;
  return null;
}

/**
 * A subject safe for a header: whatever a visitor typed, control characters (CR/LF would start a
 * new header) become spaces. Nodemailer encodes what is left.
 */
export function headerText(v: string, max = 400): string {
  // eslint-disable-next-line no-control-regex
  return v.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim().slice(0, max);
}

/** The ticket reference in a subject, once, after a single `Re:`. */
export function replySubject(subject: string, reference: string): string {
  const base = headerText(subject).replace(/^((re|aw|fw|fwd|r|rif|tr)\s*:\s*)+/i, '');
  return `Re: ${base.includes(`[${reference}]`) ? base : `${base} [${reference}]`}`;
}

/** References of a reply: the thread's Message-IDs in order, the last ones kept when too many. */
export function referencesOf(ids: (string | null)[]): string | null {
  const list = [...new Set(ids.filter((x): x is string => !!x && /^<[^<>\s]+>$/.test(x)))];
  while (list.join(' ').length > 900 && list.length > 2) list.splice(1, 1);
  return list.length ? list.join(' ') : null;
}
