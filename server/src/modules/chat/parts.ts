import type { ChatService } from './service.js';
import type { ChatVisitors } from './visitor.js';
import type { ChatSockets } from './sockets.js';
import type { ChatFiles } from './files.js';
import type { ChatLifecycle } from './lifecycle.js';
import type { ChatXmppAccounts } from './accounts.js';

/** The chat context's working parts, built together by createChat (module.ts). */
export interface ChatParts {
  chat: ChatService;
  visitors: ChatVisitors;
  sockets: ChatSockets;
  files: ChatFiles;
  lifecycle: ChatLifecycle;
  accounts: ChatXmppAccounts;
}
