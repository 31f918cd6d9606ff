import { closeSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config } from './schema.js';

/**
 * Customer-first callbacks play `queues[].callback.announcement` with rtpengine's media player,
 * which reads the file itself: relative paths become absolute (from the configuration folder),
 * and each file must be there and readable — a WAV must start like one — or the first customer
 * to answer would hear silence and the problem would only show in a log line.
 */
export function checkPrompts(c: Config): { key: string; problem: string }[] {
  const problems: { key: string; problem: string }[] = [];
  c.queues.forEach((q, i) => {
    const a = q.callback.announcement;
    if (a === undefined) return;
    const check = (key: string, file: string): string => {
      const abs = path.resolve(c.dir, file);
      const why = unreadable(abs);
      if (why) problems.push({ key, problem: `${abs} ${why}` });
      return abs;
    };
    const key = `queues[${i}].callback.announcement`;
    if (typeof a === 'string') q.callback.announcement = check(key, a);
    else for (const [lang, file] of Object.entries(a)) if (file !== undefined) a[lang as keyof typeof a] = check(`${key}.${lang}`, file);
  });
  return problems;
}

function unreadable(file: string): string | undefined {
  try {
    if (!statSync(file).isFile()) return 'is not a file';
    const fd = openSync(file, 'r');
    try {
      const head = Buffer.alloc(12);
      const n = readSync(fd, head, 0, 12, 0);
      if (n === 0) return 'is empty';
      if (/\.wav$/i.test(file) && (head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE')) return 'is not a WAV file';
    } finally {
      closeSync(fd);
    }
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : (err as Error).message;
  }
}
