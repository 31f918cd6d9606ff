import { z } from 'zod';
import { id, language, localText } from './common.js';

// ---------------------------------------------------------------- websites/<id>.yaml
const mapsTo = z.union([
  z.object({ contact: z.string().regex(/^(name|email|phone|custom\.[a-z0-9_]+)$/, 'must be name, email, phone or custom.<field>') }).strict(),
  z.object({ variable: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/) }).strict(),
]);
const option = z.object({ value: z.string().min(1), label: localText }).strict();
const fieldBase = { name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), label: localText, required: z.boolean().default(false), mapsTo: mapsTo.optional() };
export const formField = z.discriminatedUnion('type', [
  z.object({ type: z.literal('label'), text: localText }).strict(),
  z.object({ type: z.literal('text'), ...fieldBase, maxLength: z.number().int().min(1).max(10000).default(200) }).strict(),
  z.object({ type: z.literal('number'), ...fieldBase, min: z.number().optional(), max: z.number().optional() }).strict(),
  z.object({ type: z.literal('email'), ...fieldBase }).strict(),
  z.object({ type: z.literal('textarea'), ...fieldBase, maxLength: z.number().int().min(1).max(20000).default(2000) }).strict(),
  z.object({ type: z.literal('select'), ...fieldBase, options: z.array(option).min(1) }).strict(),
  z.object({ type: z.literal('radio'), ...fieldBase, options: z.array(option).min(1) }).strict(),
  z.object({ type: z.literal('checkboxes'), ...fieldBase, options: z.array(option).min(1) }).strict(),
  z.object({ type: z.literal('agreement'), ...fieldBase, text: localText }).strict(),
  z
    .object({
      type: z.literal('attachment'),
      ...fieldBase,
      maxBytes: z.number().int().min(1).max(100 * 1024 * 1024).default(5 * 1024 * 1024),
      acceptedTypes: z.array(z.string().regex(/^\.[a-z0-9]+$/, 'must be a file extension like .pdf')).min(1),
    })
    .strict(),
]);
export type FormField = z.infer<typeof formField>;

const channelSettings = z.object({ enabled: z.boolean().default(false), queue: id.optional() }).strict();
const texts = z.partialRecord(language, z.string().min(1)).optional();

export const websiteFile = z
  .object({
    id,
    name: z.string().min(1),
    origins: z.array(z.string().regex(/^https?:\/\/[^/\s]+$/, 'must be an origin like https://www.example.com (no path)')).min(1),
    hours: id.optional(),
    channels: z
      .object({
        call: channelSettings.default({ enabled: false }),
        video: channelSettings.default({ enabled: false }),
        callback: channelSettings.default({ enabled: false }),
        mail: channelSettings.extend({ forwardTo: z.email().optional() }).strict().default({ enabled: false }),
        chat: channelSettings.default({ enabled: false }),
      })
      .strict(),
    forms: z
      .object({
        chat: z.array(formField).default([]),
        call: z.array(formField).default([]),
        video: z.array(formField).default([]),
        callback: z.array(formField).default([]),
        mail: z.array(formField).default([]),
        offline: z.array(formField).default([]),
      })
      .strict()
      .default({ chat: [], call: [], video: [], callback: [], mail: [], offline: [] }),
    offline: z
      .object({ action: z.enum(['mail', 'interaction']).default('interaction'), forwardTo: z.email().optional() })
      .strict()
      .refine((o) => o.action !== 'mail' || o.forwardTo, { message: 'forwardTo is required when action is mail', path: ['forwardTo'] })
      .default({ action: 'interaction' }),
    messages: z
      .object({ closed: texts, unmanaged: texts, welcome: texts })
      .strict()
      .default({}),
    uploads: z
      .object({
        maxFileBytes: z.number().int().min(1).max(100 * 1024 * 1024).default(5 * 1024 * 1024),
        maxFiles: z.number().int().min(1).max(50).default(5),
        acceptedTypes: z.array(z.string().regex(/^\.[a-z0-9]+$/, 'must be a file extension like .pdf')).default(['.pdf', '.png', '.jpg', '.jpeg', '.txt']),
      })
      .strict()
      .default({ maxFileBytes: 5 * 1024 * 1024, maxFiles: 5, acceptedTypes: ['.pdf', '.png', '.jpg', '.jpeg', '.txt'] }),
    bot: z
      .object({
        options: z.array(z.object({ id, label: localText, welcome: localText, queue: id }).strict()).default([]),
      })
      .strict()
      .default({ options: [] }),
    look: z
      .object({
        title: localText.default('Contact us'),
        primaryColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1a73e8').default('#1a73e8'),
        position: z.enum(['left', 'right']).default('right'),
        logoUrl: z.url().optional(),
        language: language.optional(),
      })
      .strict()
      .default({ title: 'Contact us', primaryColor: '#1a73e8', position: 'right' }),
    transcriptByMail: z.boolean().default(true),
    // Customer satisfaction: the chat's end screen asks for a rating 1–5 and a comment.
    csat: z.object({ enabled: z.boolean().default(false) }).strict().default({ enabled: false }),
    maxConcurrentChats: z.number().int().min(1).optional(),
  })
  .strict();
