export * from './agent-socket.js';
export * from './widget-socket.js';
export * from './call-invite.js';
export * from './history.js';
