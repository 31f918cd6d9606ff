// The public face of this context: what app.ts and other contexts may use of it.
export type { QueueAvailability } from './views.js';
export type { CreateInteraction, CreateResult } from './service.js';
