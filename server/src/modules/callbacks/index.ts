// The public face of this context: what app.ts and other contexts may use of it.
export { createCallbacks, type CallbacksContext } from './module.js';
export type { CallbackMail, CallbacksDeps, CallbacksKit } from './types.js';
