// The public face of this context: what app.ts and other contexts may use of it.
export { createReasons } from './module.js';
