// The public face of this context: what app.ts and other contexts may use of it.
export { sipConnectSources } from './browser-origin.js';
export { Call, CallLeg } from './call.entity.js';
export type { Calls } from './calls.js';
export { createCalls, type CallsContext } from './module.js';
export type { CallsDeps } from './types.js';
export { withLiveCall } from './live.js';
