import { z } from 'zod';
import { port, host, seconds, role } from './common.js';

// switchboard.yaml: the server, its services and their credentials.

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
        // The server's Unix socket, when it runs on this host: host and port are then not used.
        // Each statement costs both sides less CPU than over loopback TCP (docs/benchmarks.md).
        socketPath: z.string().regex(/^\//, 'must be an absolute path').max(107, 'must be at most 107 characters (a Unix socket path)').optional(),
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
        commandTimeoutMs: z.number().int().min(100).max(60000).default(2000),
        // Background jobs (BullMQ): how long a running job stays with an instance that stopped
        // answering before another instance takes it over, and how often they look.
        jobLockSeconds: z.number().int().min(2).max(600).default(30),
        jobStalledCheckSeconds: z.number().int().min(1).max(600).default(30),
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
        portMax: port.default(49999),
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
        engine: z.enum(['in-process', 'drachtio']).default('in-process'),
        drachtio: z
          .object({
            host: host.regex(/^[A-Za-z0-9.:-]+$/, 'must be a host name or address').default('127.0.0.1'),
            port: port.default(9022),
            // drachtio-server reads it from its XML file as is: one line of text.
            // eslint-disable-next-line no-control-regex
            secret: z.string().min(1).regex(/^[^\x00-\x1f\x7f]+$/, 'must be text on one line'),
          })
          .strict()
          .optional(),
      })
      .strict()
      .refine((s) => s.engine !== 'drachtio' || !!s.drachtio, { message: 'sip.engine drachtio needs sip.drachtio (host, port, secret)', path: ['drachtio'] }),
    smtp: z
      .object({
        host: host,
        port: port.default(587),
        secure: z.boolean().default(false),
        user: z.string().optional(),
        password: z.string().optional(),
        from: z.string().min(3),
        /** The support mailbox customers answer to (Reply-To of ticket replies); defaults to imap.user when that is an address. */
        replyTo: z.email().optional(),
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
        /** The website whose mail queue takes mails that answer no ticket; default the first with mail enabled. */
        website: z.string().min(1).optional(),
        /** Mails larger than this are not downloaded: the ticket says so and the mail stays on the server. */
        maxMessageBytes: z.number().int().min(1024).default(25 * 1024 * 1024),
        /** A folder to move stored mails to (created when missing); otherwise they stay, marked read and $Switchboard. */
        moveTo: z.string().min(1).optional(),
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
            agentSocketCommandsPerMinute: z.number().int().min(1).default(600),
            widgetSocketCommandsPerMinute: z.number().int().min(1).default(120),
          })
          .strict()
          .default({ loginPerMinute: 10, apiPerMinute: 600, widgetPerMinute: 120, agentSocketCommandsPerMinute: 600, widgetSocketCommandsPerMinute: 120 }),
        // Per username, whatever the address: wrong passwords lock it for a while, longer each time.
        loginLockout: z
          .object({
            failures: z.number().int().min(1).default(5),
            lockSeconds: z.number().int().min(1).default(60),
            maxLockSeconds: z.number().int().min(1).default(900),
          })
          .strict()
          .refine((l) => l.maxLockSeconds >= l.lockSeconds, { message: 'must be at least lockSeconds', path: ['maxLockSeconds'] })
          .default({ failures: 5, lockSeconds: 60, maxLockSeconds: 900 }),
        // Transcripts with the customer's files embedded travel further than the chat did.
        transcriptAttachmentRoles: z.array(role).default(['supervisor', 'admin']),
        // Which customer contacts a plain agent may find, open and see the journey of (supervisors
        // and admins: all), and which roles may create and edit them.
        contacts: z
          .object({
            agentsSee: z.enum(['all', 'handled', 'queues']).default('queues'),
            editRoles: z.array(role).default(['agent', 'supervisor', 'admin']),
          })
          .strict()
          .default({ agentsSee: 'queues', editRoles: ['agent', 'supervisor', 'admin'] }),
      })
      .strict()
      .default({
        sessionTtlHours: 12,
        passwordMinLength: 10,
        rateLimits: { loginPerMinute: 10, apiPerMinute: 600, widgetPerMinute: 120, agentSocketCommandsPerMinute: 600, widgetSocketCommandsPerMinute: 120 },
        loginLockout: { failures: 5, lockSeconds: 60, maxLockSeconds: 900 },
        transcriptAttachmentRoles: ['supervisor', 'admin'],
        contacts: { agentsSee: 'queues', editRoles: ['agent', 'supervisor', 'admin'] },
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
    /** GET /metrics (Prometheus text format) answers only with this bearer token; off without one. */
    metrics: z
      .object({ token: z.preprocess((v) => (v === '' ? null : v), z.string().min(24, 'must be at least 24 characters (a random secret)').nullable()).default(null) })
      .strict()
      .default({ token: null }),
  })
  .strict();
