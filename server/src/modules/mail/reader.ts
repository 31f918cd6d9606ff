import type { ImapFlow } from 'imapflow';
import type { MailKit } from './types.js';
import { imapClient } from './reachability.js';
import { MailIntake, type FetchedMail } from './intake.js';
import type { MailChat } from './types.js';

/** The keyword a stored mail gets on the server: what is not marked is still to read. */
export const STORED_KEYWORD = '$Switchboard';
const LOCK_MS = 120_000;
/** Mails taken side by side in one pass. */
const PARALLEL = 4;

/**
 * Reads the support mailbox: IDLE tells of new mail at once, a poll every imap.pollSeconds is the
 * fallback, and a lost connection is made again with backoff (1 s doubling to a minute). Each pass
 * takes every mail not yet marked, oldest first: a reconnection, a restart or a missed IDLE
 * leaves nothing behind. Several instances may read at once: a Redis lock per UID and the unique
 * record of each UID keep a mail from being stored twice.
 */
export class MailboxReader {
  private client: ImapFlow | undefined;
  private stopped = false;
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private lastError: string | null = 'not connected yet';
  private readonly intake: MailIntake;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Callers of readNow() waiting for the end of the next pass to begin. */
  private nextPass: (() => void)[] = [];

  constructor(
    private readonly s: MailKit,
    chat: MailChat,
  ) {
    this.intake = new MailIntake(s, chat);
  }

  private get log() {
    return this.s.log;
  }

  status(): { ok: boolean; error?: string } {
    return this.lastError ? { ok: false, error: this.lastError } : { ok: true };
  }

  start(): void {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    let delay = 1000;
    while (!this.stopped) {
      const imap = this.s.config().main.imap;
      if (!imap?.enabled) return;
      const c = imapClient(imap, 15_000);
      this.client = c;
      c.on('error', (err: Error) => {
        this.lastError = err.message;
      });
      try {
        await c.connect();
        if (imap.moveTo && !(await c.list()).some((b) => b.path === imap.moveTo)) await c.mailboxCreate(imap.moveTo).catch(() => undefined);
        await c.mailboxOpen(imap.mailbox);
        this.lastError = null;
        delay = 1000;
        this.log.info({ mailbox: imap.mailbox }, 'reading the support mailbox');
        c.on('exists', () => this.kick());
        this.timer = setInterval(() => this.kick(), imap.pollSeconds * 1000);
        this.kick();
        await new Promise<void>((resolve) => c.once('close', () => resolve()));
        if (!this.stopped) this.lastError = 'connection closed';
      } catch (err) {
        this.lastError = (err as Error).message || String(err);
      } finally {
        clearInterval(this.timer);
        c.close();
        this.client = undefined;
      }
      if (this.stopped) return;
      this.log.warn({ error: this.lastError, retryInMs: delay }, 'support mailbox unreachable; connecting again');
      await new Promise<void>((r) => {
        this.wake = r;
        setTimeout(r, delay).unref();
      });
      delay = Math.min(delay * 2, 60_000);
    }
  }

  /**
   * Reads the mailbox now. Resolves when a pass begun after the call has ended, and with it every
   * pass before it: each mail in the mailbox at the call has then been taken, unless another
   * instance was taking it or the mailbox could not be reached (a pass without a connection reads
   * nothing).
   */
  readNow(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.nextPass.push(resolve);
      this.kick();
    });
  }

  /** One pass at a time; a kick during a pass runs another after it. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    const waiting = this.nextPass.splice(0);
    this.running = this.pass()
      .catch((err) => this.log.warn({ err: { message: (err as Error).message } }, 'reading the support mailbox failed; next pass retries'))
      .finally(() => {
        this.running = undefined;
        for (const done of waiting) done();
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async pass(): Promise<void> {
    const c = this.client;
    const imap = this.s.config().main.imap;
    if (!c?.usable || !imap || !c.mailbox) return;
    const uidValidity = String(c.mailbox.uidValidity);
    const uids = ((await c.search({ unKeyword: STORED_KEYWORD }, { uid: true })) || []).sort((a, b) => a - b);
    // A few mails at a time: the IMAP commands queue on the one connection, while parsing and
    // storing (MySQL, Redis, routing) overlap; the oldest are started first.
    let next = 0;
    const worker = async () => {
      while (next < uids.length && !this.stopped && c.usable) await this.takeOne(c, imap, uidValidity, uids[next++]!);
    };
    await Promise.all(Array.from({ length: PARALLEL }, worker));
  }

  private async takeOne(c: ImapFlow, imap: NonNullable<ReturnType<MailKit['config']>['main']['imap']>, uidValidity: string, uid: number): Promise<void> {
    const lock = this.s.redis.key('mail', 'uid', imap.user, imap.mailbox, uidValidity, String(uid));
    if ((await this.s.redis.client.set(lock, this.s.bus.instanceId, 'PX', LOCK_MS, 'NX')) !== 'OK') return;
    try {
      const meta = await c.fetchOne(String(uid), { size: true, envelope: true }, { uid: true });
      if (!meta) return;
      const size = meta.size ?? 0;
      const f: FetchedMail = {
        mailbox: `${imap.user}/${imap.mailbox}`,
        uidValidity,
        uid: String(uid),
        size,
        envelope: meta.envelope ? { messageId: meta.envelope.messageId, subject: meta.envelope.subject, from: meta.envelope.from, inReplyTo: meta.envelope.inReplyTo } : undefined,
      };
      if (size <= imap.maxMessageBytes) {
        const full = await c.fetchOne(String(uid), { source: true }, { uid: true });
        if (!full || !full.source) return;
        f.source = full.source;
      }
      const outcome = await this.intake.take(f);
      await c.messageFlagsAdd(String(uid), ['\\Seen', STORED_KEYWORD], { uid: true });
      if (imap.moveTo) await c.messageMove(String(uid), imap.moveTo, { uid: true });
      this.log.info({ uid, outcome }, 'mail taken from the support mailbox');
    } finally {
      await this.s.redis.client.del(lock).catch(() => undefined);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.wake?.();
    await this.running?.catch(() => undefined);
    for (const done of this.nextPass.splice(0)) done();
    await this.client?.logout().catch(() => undefined);
    this.client?.close();
    await this.loop?.catch(() => undefined);
  }
}
