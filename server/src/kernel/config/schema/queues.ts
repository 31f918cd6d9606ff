import { z } from 'zod';
import { id, seconds, channel, localText } from './common.js';

// queues.yaml (queues and skills) and reasons.yaml.

// ---------------------------------------------------------------- queues.yaml
export const skillRequirement = z.object({ skill: id, level: z.number().int().min(1).max(10) }).strict();
export const queue = z
  .object({
    id,
    name: localText,
    channel,
    priority: z.number().int().min(1).max(10).default(5),
    skills: z.array(skillRequirement).default([]),
    relax: z
      .array(
        z
          .object({
            afterSeconds: seconds,
            minLevelDrop: z.number().int().min(1).max(9).optional(),
            anyAgent: z.boolean().optional(),
          })
          .strict(),
      )
      .default([]),
    offerTimeoutSeconds: seconds.min(5).max(600).default(20),
    wrapUpSeconds: seconds.max(3600).default(30),
    // Reports: the share of interactions answered within this many seconds is the service level.
    serviceLevelSeconds: seconds.min(1).max(3600).default(20),
    maxWaitSeconds: seconds.optional(),
    // Where a chat that waited maxWaitSeconds goes instead of becoming unmanaged (same channel).
    overflowQueue: id.optional(),
    declineCooldownSeconds: seconds.max(3600).default(60),
    // A returning customer (a reply to a closed mail ticket) waits this long for the agent who had it.
    previousAgentSeconds: seconds.max(86_400).default(300),
    autoNotReadyAfterMissed: z.number().int().min(1).max(20).optional(),
    allowWhileOnCall: z.boolean().default(false),
    hours: id.optional(),
    destination: z.object({ trunk: id, number: z.string().regex(/^[0-9*#+]{1,32}$/) }).strict().optional(),
    unattendedTimeoutMinutes: z.number().int().min(1).max(24 * 60).optional(),
    // Callback queues: how their callbacks are dialled and retried.
    callback: z
      .object({
        trunk: id.optional(),
        // automatic: dialling starts when the agent accepts; preview: the agent reads, then presses Call.
        mode: z.enum(['automatic', 'preview']).default('automatic'),
        attempts: z.number().int().min(1).max(10).default(3),
        retryMinutes: z.number().int().min(1).max(24 * 60).default(10),
        answerTimeoutSeconds: seconds.min(10).max(300).default(60),
        // agent-first: the agent's phone rings, then the customer's; customer-first: the customer is
        // dialled when due and, once they answer, the live call is offered to the best free agent.
        order: z.enum(['agent-first', 'customer-first']).default('agent-first'),
        // Customer-first: the prompt played to the answered customer while an agent is found (a
        // file per language; relative paths are taken from the configuration folder).
        announcement: localText.optional(),
        // Customer-first: how long an answered customer waits for an agent before the call ends.
        customerWaitSeconds: seconds.min(5).max(1800).default(120),
      })
      .strict()
      .refine((c) => c.order !== 'customer-first' || c.announcement !== undefined, {
        message: 'customer-first needs an announcement (a prompt file, or one per language)',
        path: ['announcement'],
      })
      .default({ mode: 'automatic', attempts: 3, retryMinutes: 10, answerTimeoutSeconds: 60, order: 'agent-first', customerWaitSeconds: 120 }),
  })
  .strict()
  .refine((q) => !['phone', 'video'].includes(q.channel) || q.destination !== undefined, {
    message: 'phone and video queues need a destination (trunk and number on the PBX)',
    path: ['destination'],
  });
export const queuesFile = z
  .object({
    skills: z.array(z.object({ id, name: z.string().min(1) }).strict()).default([]),
    queues: z.array(queue).min(1),
  })
  .strict();

// ---------------------------------------------------------------- reasons.yaml
const labelled = z.object({ id, label: localText }).strict();
export const reasonsFile = z
  .object({
    notReady: z.array(labelled).min(1),
    dispositions: z.array(labelled).min(1),
  })
  .strict();
