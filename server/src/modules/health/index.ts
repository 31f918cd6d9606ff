// The public face of this context: what app.ts and other contexts may use of it.
export { Readiness } from './checks.js';
export { healthRoutes } from './routes.js';
