// The public face of this context: what app.ts and other contexts may use of it.
export { createWidgetApi } from './module.js';
export type { WidgetApiDeps } from './availability.js';
