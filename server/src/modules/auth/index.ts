// The public face of this context: what app.ts and other contexts may use of it.
export { createAuth } from './module.js';
export type { AuthDeps } from './routes.js';
