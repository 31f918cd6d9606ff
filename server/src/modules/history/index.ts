// The public face of this context: what app.ts and other contexts may use of it.
export { createHistory } from './module.js';
