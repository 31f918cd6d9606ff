import { DestroyRef, Injectable, inject, signal } from '@angular/core';
import { AGENT_CLOSE, type AgentCommand, type AgentServerMessage } from '@switchboard/protocol';
import { Session } from './session';

export type ConnectionState = 'connecting' | 'online' | 'reconnecting' | 'stopped';

type Handler<T extends AgentServerMessage['type']> = (msg: Extract<AgentServerMessage, { type: T }>) => void;

/** Reconnect delays grow 1 s, 2 s, 4 s … up to 30 s, with jitter so a restart is not a stampede. */
export function backoffDelay(attempt: number, random = Math.random): number {
  const base = Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5));
  return Math.round(base * (0.5 + random() / 2));
}

const KEEPALIVE_MS = 25_000;
const PONG_TIMEOUT_MS = 10_000;

/**
 * The desktop's one WebSocket to /ws/agent (cookie-authenticated). Keeps itself connected:
 * backoff on failure, an application ping to notice half-open connections, an immediate retry
 * when the browser comes back online. Features subscribe to message types with `on()`, so
 * offers, chat and calls plug in without touching this file.
 */
@Injectable({ providedIn: 'root' })
export class AgentSocket {
  private readonly session = inject(Session);

  readonly state = signal<ConnectionState>('stopped');
  /** Epoch ms of the next reconnect attempt, while reconnecting. */
  readonly retryAt = signal<number | null>(null);
  readonly attempt = signal(0);

  private ws: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | undefined;
  private keepalive: ReturnType<typeof setInterval> | undefined;
  private pongDeadline: ReturnType<typeof setTimeout> | undefined;
  private readonly handlers = new Map<string, Set<(m: AgentServerMessage) => void>>();
  private readonly onOnline = () => this.retryNow();

  constructor() {
    this.on('hello', (m) => this.session.updateStatus(m.status));
    this.on('agent.state', (m) => this.session.updateStatus(m.status));
    this.on('pong', () => clearTimeout(this.pongDeadline));
    inject(DestroyRef).onDestroy(() => this.stop());
  }

  /** Subscribes to one message type; returns the unsubscribe function. */
  on<T extends AgentServerMessage['type']>(type: T, handler: Handler<T>): () => void {
    let set = this.handlers.get(type);
    if (!set) this.handlers.set(type, (set = new Set()));
    const h = handler as (m: AgentServerMessage) => void;
    set.add(h);
    return () => set.delete(h);
  }

  start(): void {
    if (this.state() !== 'stopped') return;
    window.addEventListener('online', this.onOnline);
    this.attempt.set(0);
    this.open();
  }

  stop(): void {
    window.removeEventListener('online', this.onOnline);
    this.state.set('stopped');
    this.retryAt.set(null);
    this.clearTimers();
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'closed by the desktop');
  }

  retryNow(): void {
    if (this.state() !== 'reconnecting') return;
    clearTimeout(this.retryTimer);
    this.open();
  }

  /** Sends a command; false when there is no open connection to send it on. */
  send(cmd: AgentCommand): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(cmd));
    return true;
  }

  private open(): void {
    this.state.set(this.attempt() === 0 ? 'connecting' : 'reconnecting');
    this.retryAt.set(null);
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/agent`;
    const ws = new WebSocket(url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.attempt.set(0);
      this.state.set('online');
      this.keepalive = setInterval(() => this.ping(), KEEPALIVE_MS);
    };
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.clearTimers();
      if (e.code === AGENT_CLOSE.sessionRevoked) {
        this.state.set('stopped');
        this.session.end('revoked');
        return;
      }
      // A refused upgrade looks like any network failure (1006); the session may have expired.
      if (!opened) void this.checkSession();
      this.scheduleRetry();
    };
  }

  private async checkSession(): Promise<void> {
    try {
      if (!(await this.session.restore())) {
        this.stop();
        this.session.end('expired');
      }
    } catch {
      // Unreachable: keep retrying; the indicator already says so.
    }
  }

  private scheduleRetry(): void {
    if (this.state() === 'stopped') return;
    const n = this.attempt();
    this.attempt.set(n + 1);
    const delay = backoffDelay(n);
    this.state.set('reconnecting');
    this.retryAt.set(Date.now() + delay);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private ping(): void {
    if (!this.send({ type: 'ping' })) return;
    clearTimeout(this.pongDeadline);
    this.pongDeadline = setTimeout(() => this.dropDeadConnection(), PONG_TIMEOUT_MS);
  }

  /** A half-open connection may take minutes to report its close: give up on it now. */
  private dropDeadConnection(): void {
    const ws = this.ws;
    this.ws = null;
    this.clearTimers();
    ws?.close(4000, 'no answer to ping');
    this.scheduleRetry();
  }

  /** Hands one frame from the server to the subscribers of its type. */
  receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: AgentServerMessage;
    try {
      msg = JSON.parse(data) as AgentServerMessage;
    } catch {
      return;
    }
    for (const h of this.handlers.get(msg.type) ?? []) h(msg);
  }

  private clearTimers(): void {
    clearTimeout(this.retryTimer);
    clearInterval(this.keepalive);
    clearTimeout(this.pongDeadline);
  }
}
