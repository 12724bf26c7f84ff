import pino, { type Logger } from 'pino';

export type { Logger };

/** Field names whose values never reach a log line. */
const REDACT = [
  'apiKey',
  'apiKeys',
  'apiToken',
  'botToken',
  'signingSecret',
  'clientSecret',
  'secret',
  'password',
  'pass',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
];

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino({
    name: options.name ?? 'parley',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: { paths: [...REDACT, ...REDACT.map((k) => `*.${k}`)], censor: '[redacted]' },
  });
}
