// The public face of this context: what app.ts and other contexts may use of it.
export type { QueueAvailability } from './views.js';
export type { AcceptRead, CreateInteraction, CreateResult } from './service.js';
export type { JoinedColumns } from './records.js';
export type { OfferDetails } from './offer-cards.js';
export type { QueuePlace } from './service.js';
export { interactionSteps, type InteractionSteps, type CallInteraction, type CallChange } from './lifecycle.js';
export { createRouting, type RoutingContext, type RoutingDeps } from './module.js';
export type { RoutingService } from './service.js';
export type { AgentStateStore } from './state-store.js';
