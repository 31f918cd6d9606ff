// The public face of this context: what app.ts and other contexts may use of it.
export { createMetrics, type MetricsContext, type MetricsDeps } from './module.js';
export type { SwitchboardMetrics } from './registry.js';
export type { SipFigures } from './sip.js';
