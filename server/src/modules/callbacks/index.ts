// The public face of this context: what app.ts and other contexts may use of it.
export { createCallbacks } from './module.js';
export type { CallbackMail, CallbacksDeps } from './types.js';
