import type { ServerModule } from '../../module.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { RealtimeHub } from '../../kernel/realtime/hub.js';
import { ChatService } from './service.js';
import { ChatRelay } from './relay.js';
import { ChatLifecycle } from './lifecycle.js';
import { ChatVisitors } from './visitor.js';
import { ChatSockets } from './sockets.js';
import { ChatFiles } from './files.js';
import { chatRoutes } from './routes.js';
import { ChatXmppAccounts } from './accounts.js';
import type { ChatParts } from './parts.js';
import type { ChatDeps, ChatKit } from './types.js';

/** How many of the visitor's first lines an offer shows. */
const PREVIEW_LINES = 3;

/** The chat context as app.ts wires it: its parts (other contexts and tests use some), routes and start. */
export interface ChatContext extends ServerModule {
  readonly parts: ChatParts;
}

function build(s: ChatKit, hub: RealtimeHub, deps: ChatDeps): ChatParts {
  const cfg = s.config().main.xmpp;
  // The relay asks the service for visitors' names; the service needs the relay: built in turn.
  const late: { chat?: ChatService } = {};
  const relay = new ChatRelay(deps.xmpp, { mucDomain: cfg.mucDomain, servicePassword: cfg.servicePassword, domain: cfg.domain }, s.bus.instanceId, s.log.child({ component: 'chat-rooms' }), (id) => late.chat!.visitorNameOf(id), deps.relayLag);
  const chat = (late.chat = new ChatService(s, hub, relay, deps.mailer));
  const visitors = new ChatVisitors(chat, deps.offlineTicket);
  return { chat, visitors, sockets: new ChatSockets(chat, visitors), files: new ChatFiles(chat), lifecycle: new ChatLifecycle(chat, s.log.child({ component: 'chat' })), accounts: new ChatXmppAccounts(deps.xmpp, relay) };
}

/** Live chat: visitor and desktop APIs, relayed through one XMPP room per interaction. */
export function createChat(k: Kernel, hub: RealtimeHub, deps: ChatDeps): ChatContext {
  const s: ChatKit = { config: k.config, log: k.log, db: k.db, redis: k.redis, bus: k.bus, jobs: k.jobs, clock: k.clock, routing: deps.routing, agents: deps.agents, contacts: deps.contacts };
  const parts = build(s, hub, deps);
  return {
    name: 'chat',
    parts,
    routes: (router, routeDeps) => chatRoutes(router, routeDeps, parts),
    start: async () => {
      parts.sockets.register(hub);
      // The offer card shows what the visitor wrote, not the option they picked.
      s.routing.previewFor('chat', async (i) => ({ preview: await parts.chat.store.firstVisitorLines(i.id, PREVIEW_LINES) }));
      const offBus = s.bus.on((e) => {
        if (e.type === 'interaction.offered' && e.channel === 'chat') parts.chat.offered(e.interactionId);
      });
      const offStanza = deps.xmpp.onMessage((stanza) => {
        const r = parts.chat.relay.parse(stanza);
        if (r) parts.chat.onReflected(r).catch((err) => s.log.error({ err, interactionId: r.interactionId }, 'relaying a chat event failed'));
      });
      // After a reconnection, lines that were stored while XMPP was away go out at once.
      const offOnline = deps.xmpp.onOnline(() => {
        parts.lifecycle.flushPending(s.clock.now(), true).catch((err) => s.log.warn({ err }, 'flushing pending chat lines failed'));
      });
      const stopLifecycle = parts.lifecycle.start();
      return () => {
        offBus();
        offStanza();
        offOnline();
        stopLifecycle();
      };
    },
  };
}
