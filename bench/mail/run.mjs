// Mail channel benchmark on the real local mail system (Postfix 127.0.0.1:2525 → Dovecot IMAP
// 127.0.0.1:1143, as scripts/services.sh starts them), a Switchboard in this process (server/dist),
// the project's MariaDB (a scratch database, dropped at the end) and Redis (its own key prefix).
// Build first: `npx tsc -b server`.
//
//   node bench/mail/run.mjs [--inbound 1000] [--duplicates 50] [--replies 1000]
//
// 1. inbound: `--inbound` customers each write one mail to a support mailbox of this run, through
//    Postfix (a pooled SMTP client, as fast as Postfix takes them), plus `--duplicates` second
//    deliveries of mails already sent (same Message-ID). Switchboard reads the mailbox over IMAP
//    (IDLE) and opens a ticket per mail. Time to ticket = the message row's creation − the moment
//    the mail was handed to Postfix (same machine, same clock). Lost = mails without a ticket after
//    the run; doubled = tickets or messages more than one per mail.
// 2. replies: `--replies` mails queued through the outbox at once (as agents' replies are), sent
//    by the BullMQ workers through Postfix into 10 customers' mailboxes. Queue time = sent − queued
//    per mail; throughput = mails / (last sent − first queued); the mailboxes are counted over IMAP
//    (none lost, none doubled).
// Prints one JSON document (also written to --out, default bench/mail/results.json).
import '../runtime.mjs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import process from 'node:process';
import { setTimeout } from 'node:timers';
import path from 'node:path';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import { TEST_DB } from '../../server/dist/test/env.js';
import { makeConfigDir } from '../../server/dist/test/config.js';
import { loadConfig } from '../../server/dist/kernel/config/load.js';
import { createDatabase, dropDatabase } from '../../server/dist/kernel/db/admin.js';
import { startSwitchboard } from '../../server/dist/app.js';
import { createLogger } from '../../server/dist/kernel/logger.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    inbound: { type: 'string', default: '1000' },
    duplicates: { type: 'string', default: '50' },
    replies: { type: 'string', default: '1000' },
    out: { type: 'string', default: path.join(here, 'results.json') },
  },
});
const N_IN = Number(opt.inbound);
const N_DUP = Number(opt.duplicates);
const N_OUT = Number(opt.replies);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]);
};
const tag = randomBytes(4).toString('hex');
const support = `bench-support-${tag}@switchboard.localhost`;
const loadavg = () => os.loadavg().map((x) => +x.toFixed(2));

const dir = makeConfigDir({
  redisPrefix: `sbbench:mail:${tag}:`,
  set: {
    'switchboard.yaml:imap.enabled': true,
    'switchboard.yaml:imap.user': support,
    'switchboard.yaml:imap.pollSeconds': 10,
    'switchboard.yaml:logging.level': 'silent',
  },
});
const config = loadConfig(dir);
await createDatabase(config.main.database, TEST_DB, true);
const sb = await startSwitchboard(config, { logger: createLogger('silent') });
const db = sb.kernel.db;
const result = { machine: { cpus: os.cpus().length, loadBefore: loadavg() }, inbound: null, replies: null };

try {
  // ---- inbound
  const smtp = nodemailer.createTransport({ host: '127.0.0.1', port: 2525, pool: true, maxConnections: 4, maxMessages: Infinity });
  const sentAt = new Map();
  const ids = [];
  const t0 = Date.now();
  const sends = [];
  for (let k = 0; k < N_IN; k++) {
    const messageId = `<bench-${tag}-${k}@customer.example>`;
    ids.push(messageId);
    const from = `bench-${tag}-${k}@example.com`;
    sends.push(smtp.sendMail({ from, to: support, subject: `Bench question ${k}`, text: `Question number ${k}.`, messageId }).then(() => sentAt.set(from, Date.now())));
  }
  await Promise.all(sends);
  for (let k = 0; k < N_DUP; k++) {
    const i = Math.floor((k * N_IN) / Math.max(1, N_DUP));
    await smtp.sendMail({ from: `bench-${tag}-${i}@example.com`, to: support, subject: `Bench question ${i}`, text: `Question number ${i}.`, messageId: ids[i] });
  }
  const handedOver = Date.now() - t0;
  const deadline = Date.now() + 15 * 60_000;
  let rows = [];
  for (;;) {
    rows = await db.query(
      `SELECT t.customerAddress AS address, COUNT(DISTINCT t.id) AS threads, COUNT(m.id) AS messages, MIN(m.createdAt) AS at
         FROM mail_threads t JOIN messages m ON m.interactionId = t.interactionId
        WHERE t.customerAddress LIKE ? GROUP BY t.customerAddress`,
      [`bench-${tag}-%`],
    );
    const dups = (await db.query(`SELECT COUNT(*) AS n FROM incoming_mails WHERE headerMessageId LIKE ? AND outcome = 'duplicate'`, [`<bench-${tag}-%`]))[0].n;
    if ((rows.length >= N_IN && Number(dups) >= N_DUP) || Date.now() > deadline) break;
    await sleep(500);
  }
  const latencies = rows.map((r) => new Date(r.at).getTime() - sentAt.get(r.address)).filter((x) => Number.isFinite(x));
  const dupRows = await db.query(`SELECT outcome, COUNT(*) AS n FROM incoming_mails WHERE headerMessageId LIKE ? GROUP BY outcome`, [`<bench-${tag}-%`]);
  result.inbound = {
    mails: N_IN,
    secondDeliveries: N_DUP,
    handedToPostfixMs: handedOver,
    ticketed: rows.length,
    lost: N_IN - rows.length,
    doubled: rows.filter((r) => Number(r.threads) > 1 || Number(r.messages) > 1).length,
    outcomes: Object.fromEntries(dupRows.map((r) => [r.outcome, Number(r.n)])),
    timeToTicketMs: { p50: pct(latencies, 50), p90: pct(latencies, 90), p99: pct(latencies, 99), max: pct(latencies, 100) },
    lastTicketAfterFirstSendMs: rows.length ? Math.max(...rows.map((r) => new Date(r.at).getTime())) - t0 : null,
  };
  smtp.close();

  // ---- replies
  const outbox = sb.contexts.outbox;
  const to = Array.from({ length: 10 }, (_, k) => `bench-reader-${tag}-${k}@example.com`);
  const q0 = Date.now();
  for (let k = 0; k < N_OUT; k++) {
    await outbox.queue({ kind: 'reply', dedupeKey: `bench:${tag}:${k}`, to: to[k % to.length], replyTo: support, subject: `Re: Bench question ${k} [T-BENCH]`, text: `Answer number ${k}.` });
  }
  const queuedMs = Date.now() - q0;
  const until = Date.now() + 15 * 60_000;
  let sent = [];
  for (;;) {
    sent = await db.query(`SELECT createdAt, sentAt, state, attempts FROM outgoing_mails WHERE dedupeKey LIKE ?`, [`bench:${tag}:%`]);
    if (sent.every((r) => r.state !== 'queued') || Date.now() > until) break;
    await sleep(500);
  }
  const ok = sent.filter((r) => r.state === 'sent');
  const queueTimes = ok.map((r) => new Date(r.sentAt).getTime() - new Date(r.createdAt).getTime());
  const span = ok.length ? Math.max(...ok.map((r) => new Date(r.sentAt).getTime())) - Math.min(...sent.map((r) => new Date(r.createdAt).getTime())) : null;
  let delivered = 0;
  const deliveredUntil = Date.now() + 5 * 60_000;
  for (;;) {
    delivered = 0;
    for (const address of to) {
      const c = new ImapFlow({ host: config.main.imap.host, port: config.main.imap.port, secure: false, auth: { user: address, pass: config.main.imap.password }, logger: false });
      c.on('error', () => undefined);
      await c.connect();
      delivered += (await c.status('INBOX', { messages: true })).messages;
      await c.logout();
    }
    if (delivered >= N_OUT || Date.now() > deliveredUntil) break;
    await sleep(1000);
  }
  result.replies = {
    mails: N_OUT,
    queueingMs: queuedMs,
    sent: ok.length,
    failed: sent.filter((r) => r.state === 'failed').length,
    retried: sent.filter((r) => r.attempts > 1).length,
    inMailboxes: delivered,
    throughputPerSecond: span ? +((ok.length * 1000) / span).toFixed(1) : null,
    queueTimeMs: { p50: pct(queueTimes, 50), p90: pct(queueTimes, 90), p99: pct(queueTimes, 99), max: pct(queueTimes, 100) },
  };
  result.machine.loadAfter = loadavg();
} finally {
  await sb.stop();
  await dropDatabase(config.main.database, TEST_DB);
}
const json = JSON.stringify(result, null, 2);
writeFileSync(opt.out, json + '\n');
process.stdout.write(json + '\n');
process.exit(0);
