import { z } from 'zod';
import { id, port, host, seconds } from './common.js';

// ---------------------------------------------------------------- trunks.yaml
export const trunk = z
  .object({
    id,
    name: z.string().min(1),
    host,
    port: port.default(5060),
    transport: z.enum(['udp', 'tcp']).default('udp'),
    auth: z.object({ username: z.string().min(1), password: z.string().min(1), realm: z.string().optional() }).strict().optional(),
    callerId: z.object({ number: z.string().regex(/^\+?[0-9*#]{1,32}$/), name: z.string().optional() }).strict().optional(),
    contextHeaders: z
      .partialRecord(
        z.enum(['interactionId', 'website', 'name', 'email', 'phone', 'queue', 'fields']),
        z.string().regex(/^X-[A-Za-z0-9-]+$/, 'must be an X- header name'),
      )
      .default({ interactionId: 'X-Switchboard-Interaction', website: 'X-Switchboard-Website' }),
    // What of the PBX's INVITE reaches an agent's softphone on a PBX → extension call, besides
    // the caller's name and number: these X- headers (`X-*`: all of them), cleaned and bounded.
    inboundHeaders: z
      .array(z.string().regex(/^X-(\*|[A-Za-z0-9-]+)$/, 'must be an X- header name, or X-* for all of them'))
      .max(20)
      .default(['X-*']),
    optionsPingSeconds: seconds.max(3600).default(30),
    // How a number (E.164, or national as a visitor typed it) becomes what this PBX dials.
    dialPlan: z
      .object({
        countryCode: z.string().regex(/^[1-9][0-9]{0,2}$/, 'must be a country calling code (e.g. 39)'),
        trunkPrefix: z.string().regex(/^[0-9]?$/, 'must be one digit or empty').default(''),
        internationalPrefix: z.string().regex(/^[0-9]{2,4}$/, 'must be 2-4 digits (e.g. 00)').default('00'),
        outsideLinePrefix: z.string().regex(/^[0-9*#]{0,4}$/, 'must be up to 4 digits').default(''),
        dialE164: z.boolean().default(false),
      })
      .strict()
      .optional(),
  })
  .strict();
export const trunksFile = z.object({ trunks: z.array(trunk).min(1) }).strict();
