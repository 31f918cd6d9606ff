import type { z } from 'zod';
import type { switchboardFile } from './schema/server.js';
import type { trunk } from './schema/trunks.js';
import type { calendar } from './schema/hours.js';
import type { queue, reasonsFile } from './schema/queues.js';
import type { websiteFile } from './schema/websites.js';
import type { agentBootstrap } from './schema/agents.js';

// The schema of every file in config/, one file each under schema/ (docs/config-reference.md).
export { CHANNELS, channel, ROLES, role, localText, textIn, type Channel, type Role, type LocalText } from './schema/common.js';
export { switchboardFile } from './schema/server.js';
export { trunk, trunksFile } from './schema/trunks.js';
export { WEEKDAYS, calendar, hoursFile, hhmm } from './schema/hours.js';
export { queue, queuesFile, reasonsFile } from './schema/queues.js';
export { formField, websiteFile, type FormField } from './schema/websites.js';
export { CAPACITY_CHANNELS, capacity, DEFAULT_CAPACITY, agentBootstrap, agentsFile, type Capacity } from './schema/agents.js';

export type SwitchboardFile = z.infer<typeof switchboardFile>;
export type Trunk = z.infer<typeof trunk>;
export type Calendar = z.infer<typeof calendar>;
export type Queue = z.infer<typeof queue>;
export type Website = z.infer<typeof websiteFile>;
export type AgentBootstrap = z.infer<typeof agentBootstrap>;

export interface Config {
  /** Absolute path of the folder the configuration was read from. */
  dir: string;
  main: SwitchboardFile;
  trunks: Trunk[];
  calendars: Calendar[];
  skills: { id: string; name: string }[];
  queues: Queue[];
  reasons: z.infer<typeof reasonsFile>;
  websites: Website[];
  agents: AgentBootstrap[];
}
