import type { ServerModule } from '../../module.js';
import type { Services } from '../../services.js';
import type { RealtimeHub } from '../../realtime/hub.js';
import { ChatService } from './service.js';
import { ChatRelay } from './relay.js';
import { ChatLifecycle } from './lifecycle.js';
import { ChatVisitors } from './visitor.js';
import { ChatSockets } from './sockets.js';
import { ChatFiles } from './files.js';
import { chatRoutes } from './routes.js';
import { ChatXmppAccounts } from './accounts.js';

export interface ChatParts {
  chat: ChatService;
  visitors: ChatVisitors;
  sockets: ChatSockets;
  files: ChatFiles;
  lifecycle: ChatLifecycle;
  accounts: ChatXmppAccounts;
}

/** Built at start (routes are mounted before modules start, so they reach the parts through this). */
const instances = new WeakMap<Services, ChatParts>();

export function chatParts(s: Services): ChatParts {
  const p = instances.get(s);
  if (!p) throw new Error('chat module not started');
  return p;
}

function build(s: Services, hub: RealtimeHub): ChatParts {
  const cfg = s.config().main.xmpp;
  // The relay asks the service for visitors' names; the service needs the relay: built in turn.
  const late: { chat?: ChatService } = {};
  const relay = new ChatRelay(s.xmpp, { mucDomain: cfg.mucDomain, servicePassword: cfg.servicePassword, domain: cfg.domain }, s.bus.instanceId, s.log.child({ component: 'chat-rooms' }), (id) => late.chat!.visitorNameOf(id));
  const chat = (late.chat = new ChatService(s, hub, relay));
  const visitors = new ChatVisitors(chat);
  const parts: ChatParts = { chat, visitors, sockets: new ChatSockets(chat, visitors), files: new ChatFiles(chat), lifecycle: new ChatLifecycle(chat, s.log.child({ component: 'chat' })), accounts: new ChatXmppAccounts(s.xmpp, relay) };
  instances.set(s, parts);
  return parts;
}

/** Live chat: visitor and desktop APIs, relayed through one XMPP room per interaction. */
export const chatModule: ServerModule = {
  name: 'chat',
  routes: (router, deps, s) => chatRoutes(router, deps, s, () => chatParts(s)),
  start: async (s, hub) => {
    const parts = build(s, hub);
    parts.sockets.register(hub);
    const offStanza = s.xmpp.onMessage((stanza) => {
      const r = parts.chat.relay.parse(stanza);
      if (r) parts.chat.onReflected(r).catch((err) => s.log.error({ err, interactionId: r.interactionId }, 'relaying a chat event failed'));
    });
    // After a reconnection, lines that were stored while XMPP was away go out at once.
    const offOnline = s.xmpp.onOnline(() => {
      parts.lifecycle.flushPending(new Date(), true).catch((err) => s.log.warn({ err }, 'flushing pending chat lines failed'));
    });
    const stopLifecycle = parts.lifecycle.start();
    return () => {
      offStanza();
      offOnline();
      stopLifecycle();
    };
  },
};
