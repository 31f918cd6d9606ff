import { randomBytes } from 'node:crypto';
import type { RedisHandle } from './redis.js';
import type { Logger } from './logger.js';
import type { AgentServerMessage, AgentStatusPayload, WidgetServerMessage } from '@switchboard/protocol';
import type { RoutingBusEvent } from './modules/routing/events.js';

/** Events every server instance hears, so a socket on instance B learns what happened on A. */
export type BusEvent =
  | ({ type: 'agent.state' } & AgentStatusPayload)
  | { type: 'agent.sessions-revoked'; agentId: string }
  | { type: 'config.reloaded'; by: string; instance: string }
  | { type: 'agent.push'; agentIds: string[] | 'supervisors'; message: AgentServerMessage }
  | { type: 'visitor.push'; interactionId: string; message: WidgetServerMessage }
  | { type: 'call.event'; event: 'ringing' | 'answered' | 'held' | 'resumed' | 'ended'; callId: string; interactionId: string | null; at: string; cause?: string; description?: string }
  | RoutingBusEvent;

type Handler = (event: BusEvent) => void;

export class EventBus {
  readonly instanceId = randomBytes(6).toString('hex');
  private readonly handlers = new Set<Handler>();
  private readonly channel: string;

  constructor(private readonly redis: RedisHandle, private readonly log: Logger) {
    this.channel = redis.key('events');
  }

  async start(): Promise<void> {
    this.redis.subscriber.on('message', (channel, raw) => {
      if (channel !== this.channel) return;
      let event: BusEvent;
      try {
        event = JSON.parse(raw) as BusEvent;
      } catch (err) {
        this.log.warn({ err }, 'ignored malformed bus event');
        return;
      }
      for (const h of this.handlers) {
        try {
          h(event);
        } catch (err) {
          this.log.error({ err, event: event.type }, 'bus handler failed');
        }
      }
    });
    await this.redis.subscriber.subscribe(this.channel);
  }

  on(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  async publish(event: BusEvent): Promise<void> {
    await this.redis.client.publish(this.channel, JSON.stringify(event));
  }
}
