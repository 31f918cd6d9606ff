// The public face of this context: what app.ts and other contexts may use of it.
export { hoursStatus } from './hours.js';
export { WebsiteRecord } from './website.entity.js';
export { createWebsites } from './module.js';
