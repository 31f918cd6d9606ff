// The widget socket of one chat. It subscribes to the chat on every connection, so a reconnect
// brings the history back, and retries with a growing pause until the chat stops following it.
import type { WidgetCommand, WidgetServerMessage } from '@switchboard/protocol';
import { widgetSocketUrl } from '../api';

export class ChatSocket {
  private ws: WebSocket | null = null;
  private retryMs = 500;
  private stopped = false;

  constructor(
    private readonly subscribe: () => WidgetCommand,
    private readonly onMessage: (m: WidgetServerMessage) => void,
  ) {}

  connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(widgetSocketUrl());
    this.ws = ws;
    ws.onopen = () => {
      this.retryMs = 500;
      this.send(this.subscribe());
    };
    ws.onmessage = (e) => {
      const m = JSON.parse(String(e.data)) as WidgetServerMessage;
      // The server's bus was away: subscribing again brings back what it could not push.
      if (m.type === 'chat.resync') this.send(this.subscribe());
      else this.onMessage(m);
    };
    ws.onclose = () => {
      if (this.ws !== ws || this.stopped) return;
      this.ws = null;
      // Lines sent meanwhile fail visibly; the history comes back with the next subscribe.
      setTimeout(() => this.connect(), this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, 10_000);
    };
  }

  /** False when the socket is away: the caller falls back to HTTP or shows the failure. */
  send(c: WidgetCommand): boolean {
    if (this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(c));
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.ws?.close();
    this.ws = null;
  }
}
