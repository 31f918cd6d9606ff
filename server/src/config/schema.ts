import { z } from 'zod';

// Every object is strict: an unknown key is almost always a typo by the administrator, and a
// silently ignored typo (e.g. `offerTimout`) is worse than a refused start.

const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (max 63), starting with a letter or digit');
const port = z.number().int().min(1).max(65535);
const host = z.string().min(1);
const seconds = z.number().int().min(0);

export const CHANNELS = ['phone', 'video', 'chat', 'callback', 'mail'] as const;
export const channel = z.enum(CHANNELS);
export type Channel = z.infer<typeof channel>;

export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export const role = z.enum(ROLES);
export type Role = z.infer<typeof role>;

// ---------------------------------------------------------------- switchboard.yaml
export const switchboardFile = z
  .object({
    server: z
      .object({
        host: host.default('127.0.0.1'),
        port: z.number().int().min(0).max(65535).default(8080), // 0 picks a free port (tests)
        publicUrl: z.url(),
        tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
        trustProxy: z.boolean().default(false),
        shutdownGraceSeconds: seconds.max(120).default(10),
      })
      .strict(),
    database: z
      .object({
        // MariaDB and MySQL differ in how they report column defaults; the ORM must know which.
        type: z.enum(['mariadb', 'mysql']).default('mariadb'),
        host: host.default('127.0.0.1'),
        port: port.default(3306),
        user: z.string().min(1),
        password: z.string().default(''),
        name: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'must be letters, digits or _ (max 64)'),
        poolSize: z.number().int().min(1).max(200).default(10),
      })
      .strict(),
    redis: z
      .object({
        host: host.default('127.0.0.1'),
        port: port.default(6379),
        password: z.string().optional(),
        db: z.number().int().min(0).max(15).default(0),
        keyPrefix: z.string().regex(/^[A-Za-z0-9:_-]*$/).default('sb:'),
      })
      .strict(),
    xmpp: z
      .object({
        domain: host,
        host: host.default('127.0.0.1'),
        port: port.default(5222),
        // Where agents' own XMPP clients reach the client port (and directTlsPort); xmpp.host when
        // absent. The component port always stays on xmpp.host.
        clientInterface: host.optional(),
        directTlsPort: port.optional(),
        // Certificate and key (PEM files, relative to the configuration folder) for the client
        // port; without them scripts/services.sh generates a self-signed one for the domain.
        tls: z.object({ certificate: z.string().min(1), key: z.string().min(1) }).strict().optional(),
        httpPort: port.default(5280),
        componentPort: port.default(5347),
        mucDomain: host,
        uploadDomain: host.optional(),
        serviceUser: z.string().regex(/^[a-z0-9._-]+$/),
        servicePassword: z.string().min(8),
      })
      .strict()
      .refine((x) => x.directTlsPort === undefined || ![x.port, x.httpPort, x.componentPort].includes(x.directTlsPort), {
        message: 'must differ from port, httpPort and componentPort',
        path: ['directTlsPort'],
      }),
    rtpengine: z
      .object({
        host: host.default('127.0.0.1'),
        ngPort: port.default(22222),
        timeoutMs: z.number().int().min(100).max(30000).default(2000),
        portMin: port.default(40000),
        portMax: port.default(40999),
      })
      .strict()
      .refine((r) => r.portMin < r.portMax, { message: 'portMin must be below portMax', path: ['portMin'] }),
    sip: z
      .object({
        enabled: z.boolean().default(true),
        host: host.default('127.0.0.1'),
        publicHost: host.optional(),
        udpPort: z.number().int().min(0).max(65535).default(5060),
        tcpPort: z.number().int().min(0).max(65535).default(5060),
        wsPort: z.number().int().min(0).max(65535).default(5066),
        callTokenTtlSeconds: seconds.min(10).max(3600).default(120),
        userAgent: z.string().default('Switchboard'),
      })
      .strict(),
    smtp: z
      .object({
        host: host,
        port: port.default(587),
        secure: z.boolean().default(false),
        user: z.string().optional(),
        password: z.string().optional(),
        from: z.string().min(3),
      })
      .strict()
      .optional(),
    imap: z
      .object({
        enabled: z.boolean().default(false),
        host: host,
        port: port.default(993),
        secure: z.boolean().default(true),
        user: z.string().min(1),
        password: z.string(),
        mailbox: z.string().default('INBOX'),
        pollSeconds: seconds.min(10).default(60),
      })
      .strict()
      .optional(),
    security: z
      .object({
        sessionTtlHours: z.number().min(1).max(24 * 30).default(12),
        passwordMinLength: z.number().int().min(8).max(128).default(10),
        rateLimits: z
          .object({
            loginPerMinute: z.number().int().min(1).default(10),
            apiPerMinute: z.number().int().min(1).default(600),
            widgetPerMinute: z.number().int().min(1).default(120),
          })
          .strict()
          .default({ loginPerMinute: 10, apiPerMinute: 600, widgetPerMinute: 120 }),
        // Transcripts with the customer's files embedded travel further than the chat did.
        transcriptAttachmentRoles: z.array(role).default(['supervisor', 'admin']),
      })
      .strict()
      .default({
        sessionTtlHours: 12,
        passwordMinLength: 10,
        rateLimits: { loginPerMinute: 10, apiPerMinute: 600, widgetPerMinute: 120 },
        transcriptAttachmentRoles: ['supervisor', 'admin'],
      }),
    licensing: z
      .object({ maxConcurrentSessions: z.number().int().min(1).default(50) })
      .strict()
      .default({ maxConcurrentSessions: 50 }),
    storage: z.object({ uploadsDir: z.string().min(1) }).strict(),
    logging: z
      .object({ level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info') })
      .strict()
      .default({ level: 'info' }),
  })
  .strict();

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
  })
  .strict();
export const trunksFile = z.object({ trunks: z.array(trunk).min(1) }).strict();

// ---------------------------------------------------------------- hours.yaml
const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
const range = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d-(([01]\d|2[0-3]):[0-5]\d|24:00)$/, 'must look like 09:00-18:00')
  .refine((s) => s.slice(0, 5) < s.slice(6), 'must end after it starts');
const day = z.array(range).default([]);
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export const calendar = z
  .object({
    id,
    name: z.string().optional(),
    timezone: z.string().refine(isTimeZone, 'is not an IANA time zone (e.g. Europe/Rome)'),
    weekly: z
      .object({ mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day })
      .strict(),
    holidays: z
      .array(
        z
          .object({
            date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD'),
            name: z.string().optional(),
            open: z.array(range).optional(),
          })
          .strict(),
      )
      .default([]),
  })
  .strict();
export const hoursFile = z.object({ calendars: z.array(calendar).min(1) }).strict();
export { hhmm };

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- queues.yaml
const skillRequirement = z.object({ skill: id, level: z.number().int().min(1).max(10) }).strict();
export const queue = z
  .object({
    id,
    name: z.string().min(1),
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
    maxWaitSeconds: seconds.optional(),
    autoNotReadyAfterMissed: z.number().int().min(1).max(20).optional(),
    allowWhileOnCall: z.boolean().default(false),
    hours: id.optional(),
    destination: z.object({ trunk: id, number: z.string().regex(/^[0-9*#+]{1,32}$/) }).strict().optional(),
    unattendedTimeoutMinutes: z.number().int().min(1).max(24 * 60).optional(),
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
const labelled = z.object({ id, label: z.string().min(1) }).strict();
export const reasonsFile = z
  .object({
    notReady: z.array(labelled).min(1),
    dispositions: z.array(labelled).min(1),
  })
  .strict();

// ---------------------------------------------------------------- websites/<id>.yaml
const mapsTo = z.union([
  z.object({ contact: z.string().regex(/^(name|email|phone|custom\.[a-z0-9_]+)$/, 'must be name, email, phone or custom.<field>') }).strict(),
  z.object({ variable: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/) }).strict(),
]);
const option = z.object({ value: z.string().min(1), label: z.string().min(1) }).strict();
const fieldBase = { name: z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), label: z.string().min(1), required: z.boolean().default(false), mapsTo: mapsTo.optional() };
export const formField = z.discriminatedUnion('type', [
  z.object({ type: z.literal('label'), text: z.string().min(1) }).strict(),
  z.object({ type: z.literal('text'), ...fieldBase, maxLength: z.number().int().min(1).max(10000).default(200) }).strict(),
  z.object({ type: z.literal('number'), ...fieldBase, min: z.number().optional(), max: z.number().optional() }).strict(),
  z.object({ type: z.literal('email'), ...fieldBase }).strict(),
  z.object({ type: z.literal('textarea'), ...fieldBase, maxLength: z.number().int().min(1).max(20000).default(2000) }).strict(),
  z.object({ type: z.literal('select'), ...fieldBase, options: z.array(option).min(1) }).strict(),
  z.object({ type: z.literal('radio'), ...fieldBase, options: z.array(option).min(1) }).strict(),
  z.object({ type: z.literal('checkboxes'), ...fieldBase, options: z.array(option).min(1) }).strict(),
  z.object({ type: z.literal('agreement'), ...fieldBase, text: z.string().min(1) }).strict(),
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
const language = z.enum(['en', 'it', 'fr']);
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
        options: z.array(z.object({ id, label: z.string().min(1), welcome: z.string().min(1), queue: id }).strict()).default([]),
      })
      .strict()
      .default({ options: [] }),
    look: z
      .object({
        title: z.string().default('Contact us'),
        primaryColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1a73e8').default('#1a73e8'),
        position: z.enum(['left', 'right']).default('right'),
        logoUrl: z.url().optional(),
        language: language.optional(),
      })
      .strict()
      .default({ title: 'Contact us', primaryColor: '#1a73e8', position: 'right' }),
    transcriptByMail: z.boolean().default(true),
    maxConcurrentChats: z.number().int().min(1).optional(),
  })
  .strict();

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
