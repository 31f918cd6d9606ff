// The public face of this context: what app.ts and other contexts may use of it.
export { createAdmin } from './module.js';
export type { AdminDeps } from './routes.js';
