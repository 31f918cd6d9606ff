// The public face of this context: what app.ts and other contexts may use of it.
export { reasonsModule } from './module.js';
