import { z } from 'zod';

export const callbackBody = z
  .object({
    /** The website's callback form (phone, message, …) as field name → value. */
    fields: z.record(z.string(), z.unknown()),
    /** "asap", or the start of one of the slots from GET …/callbacks/slots. */
    slot: z.union([z.literal('asap'), z.iso.datetime()]),
    language: z.enum(['en', 'it', 'fr']).optional(),
  })
  .strict();
export type CallbackBody = z.infer<typeof callbackBody>;

/** Digits with an optional leading +, spaces, dots, dashes and brackets; 6 to 15 digits (E.164). */
export function normalisePhone(raw: string): string | null {
  const s = raw.trim();
  if (!/^\+?[0-9 ().-]+$/.test(s)) return null;
  const digits = s.replace(/\D/g, '');
  if (digits.length < 6 || digits.length > 15) return null;
  return (s.startsWith('+') ? '+' : '') + digits;
}
