import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { parseDocument, isScalar, visit } from 'yaml';
import type { z } from 'zod';
import {
  agentsFile,
  hoursFile,
  queuesFile,
  reasonsFile,
  switchboardFile,
  trunksFile,
  websiteFile,
  type Config,
} from './schema.js';
import { checkPrompts } from './prompts.js';

export interface ConfigProblem {
  file: string;
  key: string;
  problem: string;
}

/** Raised when the configuration cannot be used; carries every problem found, not just the first. */
export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ConfigError';
  }
}

export function formatProblem(p: ConfigProblem): string {
  return `${p.file}: ${p.key || '(top level)'}: ${p.problem}`;
}

type Env = Record<string, string | undefined>;

export interface LoadOptions {
  /**
   * Read agents.yaml (default). Only what bootstraps agents (start, config check) needs it: the
   * other commands must work without the admin's password in the environment.
   */
  bootstrapAgents?: boolean;
}

/**
 * Reads and validates the configuration folder. Secrets may be written as `${NAME}` or
 * `${NAME:-default}` inside any string value and are taken from the environment.
 */
export function loadConfig(dir: string, env: Env = process.env, options: LoadOptions = {}): Config {
  const abs = path.resolve(dir);
  const problems: ConfigProblem[] = [];
  if (!existsSync(abs) || !statSync(abs).isDirectory()) {
    throw new ConfigError([{ file: abs, key: '', problem: 'configuration folder not found' }]);
  }
  const read = <S extends z.ZodType>(rel: string, schema: S, optional = false): z.infer<S> | undefined => {
    const file = path.join(abs, rel);
    if (!existsSync(file)) {
      if (!optional) problems.push({ file: rel, key: '', problem: 'file is missing' });
      return undefined;
    }
    return parseFile(file, rel, schema, env, problems);
  };

  const main = read('switchboard.yaml', switchboardFile);
  const trunks = read('trunks.yaml', trunksFile);
  const hours = read('hours.yaml', hoursFile);
  const queues = read('queues.yaml', queuesFile);
  const reasons = read('reasons.yaml', reasonsFile);
  const agents = options.bootstrapAgents === false ? undefined : read('agents.yaml', agentsFile, true);

  const websites: Config['websites'] = [];
  const websiteDir = path.join(abs, 'websites');
  if (existsSync(websiteDir)) {
    for (const name of readdirSync(websiteDir).sort()) {
      if (!/\.ya?ml$/.test(name)) continue;
      const rel = `websites/${name}`;
      const site = read(rel, websiteFile);
      if (!site) continue;
      const expected = name.replace(/\.ya?ml$/, '');
      if (site.id !== expected) {
        problems.push({ file: rel, key: 'id', problem: `must match the file name ("${expected}")` });
      }
      websites.push(site);
    }
  }

  if (problems.length > 0 || !main || !trunks || !hours || !queues || !reasons) throw new ConfigError(problems);

  const config: Config = {
    dir: abs,
    main,
    trunks: trunks.trunks,
    calendars: hours.calendars,
    skills: queues.skills,
    queues: queues.queues,
    reasons,
    websites,
    agents: agents?.agents ?? [],
  };
  crossCheck(config, problems);
  checkXmppTls(config, problems);
  for (const p of checkPrompts(config)) problems.push({ file: 'queues.yaml', ...p });
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function parseFile<S extends z.ZodType>(
  file: string,
  rel: string,
  schema: S,
  env: Env,
  problems: ConfigProblem[],
): z.infer<S> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    problems.push({ file: rel, key: '', problem: `cannot be read: ${(err as Error).message}` });
    return undefined;
  }
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const where = e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '';
      problems.push({ file: rel, key: where, problem: `not valid YAML: ${e.message.split('\n')[0]}` });
    }
    return undefined;
  }
  // Interpolate before validation so that a missing variable is reported at its key.
  const envProblemKeys = new Set<string>();
  visit(doc, {
    Scalar(_key, node, ancestry) {
      if (!isScalar(node) || typeof node.value !== 'string') return;
      const whole = /^\$\{[^}]+\}$/.test(node.value);
      const value = node.value.replace(/\$\{([A-Z_][A-Z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, def?: string) => {
        const v = env[name];
        if (v !== undefined && v !== '') return v;
        if (def !== undefined) return def;
        const key = keyPath(ancestry);
        envProblemKeys.add(key);
        problems.push({ file: rel, key, problem: `environment variable ${name} is not set` });
        return '';
      });
      // `port: ${PORT:-8080}` must stay a number, as if the value had been written in place.
      node.value = whole && /^(-?\d+(\.\d+)?|true|false)$/.test(value) ? JSON.parse(value) : value;
    },
  });
  const data = doc.toJS() ?? {};
  const result = schema.safeParse(data);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
      if (envProblemKeys.has(key)) continue;
      if (issue.code === 'unrecognized_keys') {
        for (const k of issue.keys) problems.push({ file: rel, key: key ? `${key}.${k}` : k, problem: 'unknown key' });
      } else if (issue.code === 'invalid_type' && issue.message.includes('received undefined')) {
        problems.push({ file: rel, key, problem: 'is required' });
      } else {
        problems.push({ file: rel, key, problem: issue.message });
      }
    }
    return undefined;
  }
  return result.data;
}

function keyPath(ancestry: readonly unknown[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ancestry.length; i++) {
    const node = ancestry[i] as { key?: { value?: unknown }; items?: unknown[] };
    if (node && typeof node === 'object' && 'key' in node && node.key && typeof node.key === 'object') {
      parts.push(String((node.key as { value?: unknown }).value));
    }
    const next = ancestry[i + 1];
    if (node && Array.isArray(node.items) && next && !('key' in (next as object))) {
      parts.push(`[${node.items.indexOf(next)}]`);
    }
  }
  return parts.join('.').replace(/\.\[/g, '[');
}

function crossCheck(c: Config, problems: ConfigProblem[]): void {
  const dupes = (file: string, key: string, ids: string[]) => {
    const seen = new Set<string>();
    ids.forEach((v, i) => {
      if (seen.has(v)) problems.push({ file, key: `${key}[${i}].id`, problem: `duplicate id "${v}"` });
      seen.add(v);
    });
  };
  dupes('trunks.yaml', 'trunks', c.trunks.map((t) => t.id));
  dupes('hours.yaml', 'calendars', c.calendars.map((t) => t.id));
  dupes('queues.yaml', 'skills', c.skills.map((t) => t.id));
  dupes('queues.yaml', 'queues', c.queues.map((t) => t.id));
  dupes('reasons.yaml', 'notReady', c.reasons.notReady.map((t) => t.id));
  dupes('reasons.yaml', 'dispositions', c.reasons.dispositions.map((t) => t.id));

  const trunks = new Set(c.trunks.map((t) => t.id));
  const calendars = new Set(c.calendars.map((t) => t.id));
  const skills = new Set(c.skills.map((t) => t.id));
  const queues = new Map(c.queues.map((q) => [q.id, q]));

  c.queues.forEach((q, i) => {
    q.skills.forEach((s, j) => {
      if (!skills.has(s.skill)) problems.push({ file: 'queues.yaml', key: `queues[${i}].skills[${j}].skill`, problem: `unknown skill "${s.skill}"` });
    });
    if (q.hours && !calendars.has(q.hours)) problems.push({ file: 'queues.yaml', key: `queues[${i}].hours`, problem: `unknown calendar "${q.hours}" (see hours.yaml)` });
    if (q.callback.trunk && !trunks.has(q.callback.trunk)) {
      problems.push({ file: 'queues.yaml', key: `queues[${i}].callback.trunk`, problem: `unknown trunk "${q.callback.trunk}" (see trunks.yaml)` });
    }
    if (q.overflowQueue !== undefined) {
      const target = queues.get(q.overflowQueue);
      const key = `queues[${i}].overflowQueue`;
      if (!target) problems.push({ file: 'queues.yaml', key, problem: `unknown queue "${q.overflowQueue}"` });
      else if (target.id === q.id) problems.push({ file: 'queues.yaml', key, problem: 'a queue cannot overflow into itself' });
      else if (target.channel !== q.channel) problems.push({ file: 'queues.yaml', key, problem: `queue "${target.id}" is a ${target.channel} queue, not ${q.channel}` });
      else if (q.maxWaitSeconds === undefined) problems.push({ file: 'queues.yaml', key, problem: 'needs maxWaitSeconds (how long before it overflows)' });
    }
    if (q.destination && !trunks.has(q.destination.trunk)) {
      problems.push({ file: 'queues.yaml', key: `queues[${i}].destination.trunk`, problem: `unknown trunk "${q.destination.trunk}" (see trunks.yaml)` });
    }
  });
  if (c.reasons.dispositions.some((d) => d.id === 'timeout')) {
    problems.push({ file: 'reasons.yaml', key: 'dispositions', problem: '"timeout" is built in and cannot be redefined' });
  }

  const channelFor: Record<string, string> = { call: 'phone', video: 'video', callback: 'callback', mail: 'mail', chat: 'chat' };
  c.websites.forEach((w) => {
    const file = `websites/${w.id}.yaml`;
    if (w.hours && !calendars.has(w.hours)) problems.push({ file, key: 'hours', problem: `unknown calendar "${w.hours}" (see hours.yaml)` });
    for (const [name, settings] of Object.entries(w.channels)) {
      if (!settings.enabled) continue;
      if (!settings.queue) {
        problems.push({ file, key: `channels.${name}.queue`, problem: 'an enabled channel needs a queue' });
        continue;
      }
      const q = queues.get(settings.queue);
      if (!q) problems.push({ file, key: `channels.${name}.queue`, problem: `unknown queue "${settings.queue}" (see queues.yaml)` });
      else if (q.channel !== channelFor[name]) {
        problems.push({ file, key: `channels.${name}.queue`, problem: `queue "${q.id}" is a ${q.channel} queue, not ${channelFor[name]}` });
      }
    }
    w.bot.options.forEach((o, i) => {
      if (!queues.has(o.queue)) problems.push({ file, key: `bot.options[${i}].queue`, problem: `unknown queue "${o.queue}" (see queues.yaml)` });
    });
  });
  checkMailbox(c, problems);
  const origins = new Map<string, string>();
  c.websites.forEach((w) =>
    w.origins.forEach((o, i) => {
      const other = origins.get(o);
      if (other) problems.push({ file: `websites/${w.id}.yaml`, key: `origins[${i}]`, problem: `origin ${o} is already used by website "${other}"` });
      origins.set(o, w.id);
    }),
  );

  const usernames = new Set<string>();
  c.agents.forEach((a, i) => {
    if (usernames.has(a.username)) problems.push({ file: 'agents.yaml', key: `agents[${i}].username`, problem: `duplicate username "${a.username}"` });
    usernames.add(a.username);
    if (a.password.length < c.main.security.passwordMinLength) {
      problems.push({ file: 'agents.yaml', key: `agents[${i}].password`, problem: `must be at least ${c.main.security.passwordMinLength} characters` });
    }
    a.skills.forEach((s, j) => {
      if (!skills.has(s.skill)) problems.push({ file: 'agents.yaml', key: `agents[${i}].skills[${j}].skill`, problem: `unknown skill "${s.skill}"` });
    });
  });
}

/**
 * Mail that answers no ticket opens one on a website's mail queue: the website `imap.website`
 * names, else the first with mail. A misspelt name would otherwise surface only as incoming mail
 * failing to be stored, one warning per mail.
 */
function checkMailbox(c: Config, problems: ConfigProblem[]): void {
  const imap = c.main.imap;
  if (!imap?.enabled) return;
  const withMail = (w: Config['websites'][number]) => w.channels.mail.enabled && !!w.channels.mail.queue;
  if (imap.website === undefined) {
    if (!c.websites.some(withMail)) problems.push({ file: 'switchboard.yaml', key: 'imap', problem: 'no website has mail enabled with a queue: incoming mail has no queue (set imap.website or enable channels.mail on a website)' });
    return;
  }
  const w = c.websites.find((x) => x.id === imap.website);
  const known = c.websites.map((x) => `"${x.id}"`).join(', ') || 'none';
  if (!w) problems.push({ file: 'switchboard.yaml', key: 'imap.website', problem: `unknown website "${imap.website}" (websites: ${known})` });
  else if (!withMail(w)) problems.push({ file: 'switchboard.yaml', key: 'imap.website', problem: `website "${w.id}" has no mail queue (enable channels.mail with a queue in websites/${w.id}.yaml)` });
}

/**
 * `xmpp.tls` names files Prosody reads: relative paths are taken from the configuration folder
 * (made absolute here, since Prosody runs elsewhere), and both must be readable PEM that belong
 * together, or agents' XMPP clients would only learn of it when Prosody fails to offer TLS.
 */
function checkXmppTls(c: Config, problems: ConfigProblem[]): void {
  const t = c.main.xmpp.tls;
  if (!t) return;
  t.certificate = path.resolve(c.dir, t.certificate);
  t.key = path.resolve(c.dir, t.key);
  const read = (key: string, file: string): string | undefined => {
    try {
      return readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'is not readable' : code === 'EISDIR' ? 'is a folder' : (err as Error).message;
      problems.push({ file: 'switchboard.yaml', key, problem: `${file} ${why}` });
      return undefined;
    }
  };
  const certPem = read('xmpp.tls.certificate', t.certificate);
  const keyPem = read('xmpp.tls.key', t.key);
  let cert: X509Certificate | undefined;
  if (certPem !== undefined) {
    try {
      cert = new X509Certificate(certPem);
    } catch {
      problems.push({ file: 'switchboard.yaml', key: 'xmpp.tls.certificate', problem: `${t.certificate} is not a PEM certificate` });
    }
  }
  if (keyPem !== undefined) {
    try {
      const key = createPrivateKey(keyPem);
      if (cert && !cert.checkPrivateKey(key)) problems.push({ file: 'switchboard.yaml', key: 'xmpp.tls.key', problem: `${t.key} is not the key of ${t.certificate}` });
    } catch {
      problems.push({ file: 'switchboard.yaml', key: 'xmpp.tls.key', problem: `${t.key} is not a PEM private key (unencrypted)` });
    }
  }
}
