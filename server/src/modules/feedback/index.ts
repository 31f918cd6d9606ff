// The public face of this context: what app.ts and other contexts (history, reports) may use of it.
export { CsatRating } from './csat-rating.entity.js';
export { createFeedback, type FeedbackDeps } from './module.js';
export { ratingsOf } from './service.js';
