// Raw SIP clients for black-box tests that need to misbehave (never ACK, send garbage).
import dgram from 'node:dgram';
import net from 'node:net';
import WebSocket from 'ws';

export function statusOf(msg: string): number {
  return Number(/^SIP\/2\.0 (\d{3})/.exec(msg)?.[1] ?? 0);
}

/**
 * How long a test waits for a message it expects: generous, since the answer may have to cross
 * sipp or the PBX and back on a loaded machine (timer B alone is 64·T1 = 2.56 s in the tests).
 */
export const REPLY_BUDGET_MS = 15_000;

export interface Client {
  send(msg: string): void;
  /** The next message, or a rejection after `budgetMs` (default REPLY_BUDGET_MS). */
  next(budgetMs?: number): Promise<string>;
  close(): void;
  /** Everything received so far. */
  all: string[];
  /** Our local port (what a Contact of this client must name). */
  port: number;
}

function queue(): { push(m: string): void; next(budgetMs?: number): Promise<string>; all: string[] } {
  const items: string[] = [];
  const all: string[] = [];
  const waiters: Array<(m: string) => void> = [];
  return {
    all,
    push(m) {
      all.push(m);
      const w = waiters.shift();
      if (w) w(m);
      else items.push(m);
    },
    next(budgetMs = REPLY_BUDGET_MS) {
      const m = items.shift();
      if (m !== undefined) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const waiter = (x: string): void => {
          clearTimeout(t);
          resolve(x);
        };
        // A waiter that gave up must not swallow the next message: a later next() gets it.
        const t = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`no message within ${budgetMs / 1000} s`));
        }, budgetMs);
        waiters.push(waiter);
      });
    },
  };
}

export async function udpClient(port: number): Promise<Client> {
  const s = dgram.createSocket('udp4');
  const q = queue();
  s.on('message', (m) => q.push(m.toString('binary')));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return { send: (m) => s.send(Buffer.from(m, 'binary'), port, '127.0.0.1'), next: q.next, all: q.all, port: s.address().port, close: () => s.close() };
}

export async function tcpClient(port: number): Promise<Client> {
  const q = queue();
  const s = net.connect({ host: '127.0.0.1', port });
  let buf = '';
  s.on('data', (d) => {
    buf += d.toString('binary');
    // Responses we get here carry no body: cut at the blank line.
    let i;
    while ((i = buf.indexOf('\r\n\r\n')) >= 0) {
      q.push(buf.slice(0, i + 4));
      buf = buf.slice(i + 4);
    }
  });
  await new Promise<void>((r) => s.once('connect', () => r()));
  return { send: (m) => s.write(Buffer.from(m, 'binary')), next: q.next, all: q.all, port: s.localPort ?? 0, close: () => s.destroy() };
}

export async function wsClient(port: number): Promise<Client> {
  const q = queue();
  const ws = new WebSocket(`ws://127.0.0.1:${port}`, 'sip');
  ws.on('message', (d: Buffer) => q.push(d.toString('utf8')));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  // A WebSocket client has no port of its own to name: its Contact is reached through the connection.
  return { send: (m) => ws.send(Buffer.from(m, 'binary').toString('utf8')), next: q.next, all: q.all, port: 0, close: () => ws.close() };
}

/**
 * Reads responses until a final one (100 Trying may come first); `budgetMs` is per message. With
 * `callId`, only that call's: over UDP an earlier request's final response is resent (timer G)
 * until our ACK gets in, so on a loaded machine a copy of it can come before the one awaited.
 */
export async function finalResponse(c: Client, opts: { budgetMs?: number; callId?: string } = {}): Promise<string> {
  for (;;) {
    const m = await c.next(opts.budgetMs);
    if (statusOf(m) >= 200 && (!opts.callId || callIdOf(m) === opts.callId)) return m;
  }
}

export function callIdOf(msg: string): string | undefined {
  return /^(?:Call-ID|i)[ \t]*:[ \t]*([^\r\n]+?)[ \t]*\r?$/im.exec(msg)?.[1];
}

