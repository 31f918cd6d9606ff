// A reference client of the agent real-time API (docs/api/agent-realtime.md), used by the tests
// and as the model for the desktop: it keeps the agent's picture from the snapshot plus numbered
// events, resumes after a reconnect, and asks again when it notices a gap.
import type { AgentServerMessage, AgentStatusPayload, InteractionPayload, OfferPayload, SequencedMessage } from '@switchboard/protocol';
import { TestSocket } from './server.js';

export class AgentRealtimeClient {
  ws: TestSocket | undefined;
  seq = 0;
  status: AgentStatusPayload | undefined;
  readonly offers = new Map<string, OfferPayload>();
  readonly interactions = new Map<string, InteractionPayload>();
  /** The seq the last resume started after (undefined until a resume happened). */
  resumedFrom: number | undefined;
  /** How many times events arrived with a hole before them (each triggers a resume). */
  gaps = 0;
  private listeners: (() => void)[] = [];

  private constructor(private readonly url: string, private readonly token: string) {}

  static async connect(url: string, token: string): Promise<AgentRealtimeClient> {
    const c = new AgentRealtimeClient(url, token);
    await c.open(false);
    return c;
  }

  private async open(resume: boolean): Promise<void> {
    const ws = await TestSocket.open(this.url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${this.token}` });
    this.ws = ws;
    const hello = await ws.next((m) => m.type === 'hello');
    this.status = hello.status;
    const snapshot = await ws.next((m) => m.type === 'snapshot');
    if (resume) {
      // We hold a picture already: ask for what we missed rather than starting over.
      this.resumedFrom = this.seq;
      ws.send({ type: 'resume', afterSeq: this.seq, ref: 'resume' });
    } else {
      this.applySnapshot(snapshot);
    }
    ws.ws.on('message', (d) => this.onMessage(JSON.parse(d.toString())));
    // Messages that arrived before the listener was attached are still in the socket's buffer.
    for (const m of ws.messages.splice(0)) this.onMessage(m);
  }

  async reconnect(): Promise<void> {
    await this.open(true);
  }

  disconnect(): void {
    this.ws?.close();
  }

  private applySnapshot(s: { seq: number; status: AgentStatusPayload; offers: OfferPayload[]; interactions: InteractionPayload[] }): void {
    this.seq = s.seq;
    this.status = s.status;
    this.offers.clear();
    this.interactions.clear();
    for (const o of s.offers) this.offers.set(o.offerId, o);
    for (const i of s.interactions) this.interactions.set(i.id, i);
  }

  private onMessage(m: AgentServerMessage): void {
    if (m.type === 'snapshot') {
      // The snapshot sent on connect is superseded by our resume; one we asked for replaces all.
      if (m.ref !== undefined) this.applySnapshot(m);
    } else if (m.type === 'agent.state') this.status = m.status;
    else if ('seq' in m && typeof m.seq === 'number') this.applyEvent(m);
    for (const l of this.listeners.splice(0)) l();
  }

  private applyEvent(m: SequencedMessage): void {
    if (m.seq <= this.seq) return; // already applied (live and replayed copies overlap)
    if (m.seq > this.seq + 1) {
      this.gaps += 1;
      this.ws?.send({ type: 'resume', afterSeq: this.seq });
      return;
    }
    this.seq = m.seq;
    switch (m.type) {
      case 'offer':
        this.offers.set(m.offer.offerId, m.offer);
        break;
      case 'offer.ended':
        this.offers.delete(m.offerId);
        break;
      case 'interaction.updated':
        if (['closed', 'abandoned'].includes(m.interaction.state)) this.interactions.delete(m.interaction.id);
        else this.interactions.set(m.interaction.id, m.interaction);
        break;
      case 'interaction.removed':
        this.interactions.delete(m.interactionId);
        break;
    }
  }

  /** Waits until the picture satisfies `pred`. */
  async until(pred: () => boolean, timeoutMs = 15_000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while (!pred()) {
      if (Date.now() > end) throw new Error(`client state not reached; seq ${this.seq}, offers ${[...this.offers.keys()]}, interactions ${[...this.interactions.keys()]}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.listeners.push(() => (clearTimeout(t), resolve()));
      });
    }
  }
}
