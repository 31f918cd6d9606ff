import { z } from 'zod';
import { role } from './common.js';
import { skillRequirement } from './queues.js';

// ---------------------------------------------------------------- agents.yaml (optional bootstrap)
export const CAPACITY_CHANNELS = ['phone', 'video', 'chat', 'callback', 'mail', 'total'] as const;
export const capacity = z
  .object({
    phone: z.number().int().min(0).max(5).default(1),
    video: z.number().int().min(0).max(5).default(1),
    chat: z.number().int().min(0).max(20).default(3),
    callback: z.number().int().min(0).max(5).default(1),
    mail: z.number().int().min(0).max(50).default(5),
    total: z.number().int().min(1).max(50).default(4),
  })
  .strict();
export type Capacity = z.infer<typeof capacity>;
export const DEFAULT_CAPACITY: Capacity = capacity.parse({});

export const agentBootstrap = z
  .object({
    username: z.string().regex(/^[a-z0-9._-]{2,64}$/, 'must be 2-64 lowercase letters, digits, . _ or -'),
    name: z.string().min(1),
    email: z.email().optional(),
    role,
    password: z.string().min(1),
    extension: z.string().regex(/^[0-9]{2,10}$/).optional(),
    skills: z.array(skillRequirement).default([]),
    capacity: capacity.default(DEFAULT_CAPACITY),
  })
  .strict();
export const agentsFile = z.object({ agents: z.array(agentBootstrap).default([]) }).strict();
