// The public face of this context: what app.ts and other contexts may use of it.
export { Readiness, type MailProbes, type XmppStatus } from './checks.js';
export { createHealth, type HealthContext, type HealthDeps } from './module.js';
