// The public face of this context: what app.ts and other contexts may use of it.
export { Interaction, Offer, type InteractionState, type OfferState } from './interaction.entity.js';
export { presentInteraction, presentJourneyEvent } from './presenter.js';
