// The public face of this context: what app.ts and other contexts may use of it.
export { QueueRecord, ReasonRecord, SkillRecord, TrunkRecord } from './queue.entity.js';
export { syncConfig } from './sync.js';
