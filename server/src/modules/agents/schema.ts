import { z } from 'zod';
import type { AGENT_STATES } from './agent.entity.js';
import { capacity, role } from '../../kernel/config/schema.js';

const username = z.string().regex(/^[a-z0-9._-]{2,64}$/, 'must be 2-64 lowercase letters, digits, . _ or -');
const skill = z.object({ skill: z.string().min(1).max(63), level: z.number().int().min(1).max(10) }).strict();

export const loginBody = z.object({ username: z.string().min(1).max(64), password: z.string().min(1).max(256) }).strict();
export const passwordBody = z.object({ currentPassword: z.string().min(1).max(256), newPassword: z.string().min(1).max(256) }).strict();

export const createAgentBody = z
  .object({
    username,
    name: z.string().trim().min(1).max(200),
    email: z.email().optional(),
    role,
    password: z.string().min(1).max(256),
    extension: z.string().regex(/^[0-9]{2,10}$/).optional(),
    skills: z.array(skill).max(100).default([]),
    capacity: capacity.optional(),
  })
  .strict();

export const updateAgentBody = z
  .object({
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().nullable().optional(),
    role: role.optional(),
    extension: z.string().regex(/^[0-9]{2,10}$/).nullable().optional(),
    skills: z.array(skill).max(100).optional(),
    capacity: capacity.optional(),
    active: z.boolean().optional(),
    password: z.string().min(1).max(256).optional(),
  })
  .strict();

/** States an agent may choose; busy, wrap-up and rona are entered by the routing engine only. */
export const settableStates = ['available', 'not-ready', 'logged-out'] as const satisfies readonly (typeof AGENT_STATES)[number][];
export const setStateBody = z
  .object({ state: z.enum(settableStates), reason: z.string().min(1).max(63).optional() })
  .strict();

export type CreateAgentInput = z.infer<typeof createAgentBody>;
export type UpdateAgentInput = z.infer<typeof updateAgentBody>;
