import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'switchboard'): Logger {
  return pino({
    name,
    level,
    // Credentials must never reach the logs, whichever object carries them.
    redact: { paths: ['*.password', '*.passwordHash', '*.token', 'req.headers.authorization', 'req.headers.cookie'], censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  });
}
