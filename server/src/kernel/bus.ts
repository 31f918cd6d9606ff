import { randomBytes } from 'node:crypto';
import type { RedisHandle } from './redis.js';
import type { Logger } from './logger.js';
import type { AgentServerMessage, AgentStatusPayload, WidgetServerMessage } from '@switchboard/protocol';

/**
 * Events every server instance hears, so a socket on instance B learns what happened on A, one
 * union per entry. The kernel's own (socket pushes, sessions, configuration) are here; each
 * context declares its own next to its code by merging into this interface:
 * `declare module '../../kernel/bus.js' { interface BusEvents { routing: RoutingBusEvent } }`.
 */
export interface BusEvents {
  kernel:
    | ({ type: 'agent.state' } & AgentStatusPayload)
    | { type: 'agent.sessions-revoked'; agentId: string }
    | { type: 'config.reloaded'; by: string; instance: string }
    | { type: 'agent.push'; agentIds: string[] | 'supervisors'; message: AgentServerMessage }
    | { type: 'visitor.push'; interactionId: string; message: WidgetServerMessage };
}
export type BusEvent = BusEvents[keyof BusEvents];

/** Where an event came from: `local` when this instance published it. */
export interface BusOrigin {
  local: boolean;
}

type Handler = (event: BusEvent, origin: BusOrigin) => void;

/**
 * Each event goes out stamped with its instance, so a handler whose work one instance is enough
 * for (the one where it happened) can leave it to that one instead of every instance doing it.
 * Handlers never see the stamp; an instance without it reads events as from elsewhere.
 */
const ORIGIN = 'fromInstance';

export class EventBus {
  readonly instanceId = randomBytes(6).toString('hex');
  private readonly handlers = new Set<Handler>();
  private readonly resumed = new Set<() => void>();
  private readonly channel: string;

  constructor(private readonly redis: RedisHandle, private readonly log: Logger) {
    this.channel = redis.key('events');
  }

  /**
   * Called when the subscription is back after its connection was lost (Redis restarted or
   * unreachable): whatever was published meanwhile never reached this instance.
   */
  onResumed(handler: () => void): void {
    this.resumed.add(handler);
  }

  async start(): Promise<void> {
    // Both connections must be back: clients told to catch up read through the command one, and
    // lines published before it returned were lost. ioredis writes the SUBSCRIBE again right
    // after 'ready', in the same tick, so it reaches Redis before any client can ask.
    let lost = false;
    const { client, subscriber } = this.redis;
    const back = () => {
      if (!lost || client.status !== 'ready' || subscriber.status !== 'ready') return;
      lost = false;
      this.log.info('event bus back after Redis was away: clients catch up');
      for (const h of this.resumed) h();
    };
    for (const c of [client, subscriber]) {
      c.on('close', () => (lost = true));
      c.on('ready', back);
    }
    this.redis.subscriber.on('message', (channel, raw) => {
      if (channel !== this.channel) return;
      let event: BusEvent;
      let origin: BusOrigin;
      try {
        const { [ORIGIN]: from, ...rest } = JSON.parse(raw) as BusEvent & { [ORIGIN]?: string };
        event = rest as BusEvent;
        origin = { local: from === this.instanceId };
      } catch (err) {
        this.log.warn({ err }, 'ignored malformed bus event');
        return;
      }
      this.dispatch(event, origin);
    });
    await this.redis.subscriber.subscribe(this.channel);
  }

  private dispatch(event: BusEvent, origin: BusOrigin): void {
    for (const h of this.handlers) {
      try {
        h(event, origin);
      } catch (err) {
        this.log.error({ err, event: event.type }, 'bus handler failed');
      }
    }
  }

  on(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /**
   * For an event only handlers on this instance act on: they hear it as a local event, as if
   * published, without the round trip through Redis; the other instances do not hear it.
   */
  emitLocal(event: BusEvent): void {
    setImmediate(() => this.dispatch(event, { local: true }));
  }

  async publish(event: BusEvent): Promise<void> {
    const { channel, payload } = this.wire(event);
    await this.redis.client.publish(channel, payload);
  }

  /** The channel and the line publish() would send: for a Redis script that publishes as one step with its own writes. */
  wire(event: BusEvent): { channel: string; payload: string } {
    return { channel: this.channel, payload: JSON.stringify({ ...event, [ORIGIN]: this.instanceId }) };
  }
}
