/**
 * Parley's logger (pino), with secrets censored at any depth.
 *
 * pino's own `redact` takes paths, and a path has a fixed depth (`*.botToken` is one level down, not
 * `config.apps[0].slack.botToken`), so every new shape of log line would need its paths written out, and a vendor
 * SDK's error (`err.cause.config.headers.Authorization`) has shapes nobody lists. Instead every log line's object
 * is walked once before it is written: a key whose name says secret (`botToken`, `signingSecret`, `pass`,
 * `authorization`, `cookie`, `x-slack-signature`, `keys`, … see `isSecretKey`) has its value replaced, whatever
 * the depth; errors are serialised on the way (pino's `err` shape: type, message, stack, own fields); objects that
 * are not plain data (sockets, requests, agents: where headers hide as raw strings) are named, not walked; depth,
 * keys per object and items per array are bounded, and cycles are cut. A last pass over the finished line censors
 * credentials written inside strings (`Bearer …`, `Basic …`, Slack tokens), which no key name announces.
 */
import { types } from 'node:util';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const REDACTED = '[redacted]';

const MAX_DEPTH = 8;
const MAX_KEYS = 100;
const MAX_ITEMS = 50;
const MAX_STRING = 8_000;

/** Key names (lowercased, without `-`, `_` and spaces) whose values are secrets whatever they hold. */
const SECRET_NAMES = new Set([
  'keys', // admin.keys, the encryption keys
  'pass',
  'passwd',
  'pwd',
  'cookie',
  'cookies',
  'setcookie',
  'authorization',
  'proxyauthorization',
  'credentials',
  'privatekey',
  'secretaccesskey', // storage.secretAccessKey (S3)
]);
/** …and the endings that make one: `botToken`, `apiToken`, `signingSecret`, `tokenSecret`, `x-slack-signature`. */
const SECRET_ENDINGS = [
  'token',
  'tokens',
  'secret',
  'secrets',
  'password',
  'apikey',
  'apikeys',
  'signature',
  'encryptionkeys', // PARLEY_ENCRYPTION_KEYS
];

/** True when a value under this key name is censored. */
export function isSecretKey(key: string): boolean {
  const name = key.toLowerCase().replace(/[-_\s]/g, '');
  return SECRET_NAMES.has(name) || SECRET_ENDINGS.some((ending) => name.endsWith(ending));
}

/** pino's `err` shape (type, message and stack with their causes), then the error's own fields, walked like the rest. */
function errorFields(err: Error): Record<string, unknown> {
  const std = pino.stdSerializers.err(err) as unknown as Record<string, unknown>;
  const fields: Record<string, unknown> = { type: std.type, message: std.message, stack: std.stack };
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors)) fields.aggregateErrors = errors;
  for (const key of Object.keys(err)) {
    if (key in fields) continue;
    const value = (err as unknown as Record<string, unknown>)[key];
    // An error cause is already in the message and stack, as pino writes it.
    if (key === 'cause' && value instanceof Error) continue;
    fields[key] = value;
  }
  return fields;
}

/** An object literal's shape, from any realm (Node's own objects seen from a vm context, as under Jest, included). */
function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

function walk(value: unknown, depth: number, ancestors: Set<object>): unknown {
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[Circular]';
  if (ArrayBuffer.isView(value)) return `[${value.constructor.name} ${value.byteLength} bytes]`;
  if (depth >= MAX_DEPTH) return Array.isArray(value) ? '[Array]' : '[Object]';
  ancestors.add(value);
  try {
    if (value instanceof Error || types.isNativeError(value)) return walkObject(errorFields(value), depth, ancestors);
    if (Array.isArray(value) || value instanceof Set) {
      const items = [...(value as Iterable<unknown>)];
      const out = items.slice(0, MAX_ITEMS).map((item) => walk(item, depth + 1, ancestors));
      if (items.length > MAX_ITEMS) out.push(`… ${items.length - MAX_ITEMS} more`);
      return out;
    }
    if (value instanceof Map)
      return walkObject(
        Object.fromEntries(value as Map<unknown, unknown>) as Record<string, unknown>,
        depth,
        ancestors,
      );
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    // Dates, URLs, an SDK's headers object: what JSON.stringify would write, walked.
    if (typeof toJSON === 'function') return walk((toJSON as () => unknown).call(value), depth + 1, ancestors);
    if (!isPlain(value)) return `[${(value.constructor as { name?: string } | undefined)?.name ?? 'object'}]`;
    return walkObject(value as Record<string, unknown>, depth, ancestors);
  } catch {
    return '[unreadable]'; // a getter or toJSON that throws must not lose the log line
  } finally {
    ancestors.delete(value);
  }
}

function walkObject(value: Record<string, unknown>, depth: number, ancestors: Set<object>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (const key of keys.slice(0, MAX_KEYS)) {
    const item = value[key];
    out[key] = item !== undefined && item !== null && isSecretKey(key) ? REDACTED : walk(item, depth + 1, ancestors);
  }
  if (keys.length > MAX_KEYS) out['…'] = `${keys.length - MAX_KEYS} more keys`;
  return out;
}

/** A copy of a log line's object with every secret censored (see the file's comment); what is logged is untouched. */
export function redactSecrets(value: Record<string, unknown>): Record<string, unknown> {
  const out = walk(value, 0, new Set());
  return out !== null && typeof out === 'object' && !Array.isArray(out) ? (out as Record<string, unknown>) : {};
}

/** Credentials inside strings, in the finished JSON line: an HTTP auth scheme's value, a Slack token. */
// The value must hold a digit or `+/=`, so prose ("Basic information") stays as it is.
const AUTH_IN_TEXT = /\b([Bb]earer|Basic)(\s+)(?=[A-Za-z._~+/=-]*[0-9+/=])[A-Za-z0-9._~+/=-]{12,}/g;
const SLACK_TOKEN_IN_TEXT = /\bx(?:ox[a-z]|app)-[A-Za-z0-9-]{8,}/g;

function censorText(line: string): string {
  return line
    .replace(AUTH_IN_TEXT, (_m, scheme: string, space: string) => `${scheme}${space}${REDACTED}`)
    .replace(SLACK_TOKEN_IN_TEXT, REDACTED);
}

export interface LoggerOptions {
  level?: string;
  name?: string;
  /** Where lines go (default stdout); tests pass a buffer. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const settings = {
    name: options.name ?? 'parley',
    level: options.level ?? process.env.LOG_LEVEL ?? 'info',
    formatters: { log: redactSecrets },
    // Errors are serialised by redactSecrets, at any depth; pino's own `err` serialiser would redo it.
    serializers: { err: (value: unknown) => value },
    hooks: { streamWrite: censorText },
  };
  const logger = options.destination ? pino(settings, options.destination) : pino(settings);
  // pino gives a child's bindings no formatter: censored here, for children of children too (they inherit this).
  const proto = Object.getPrototypeOf(logger) as Pick<Logger, 'child'>;
  logger.child = function (this: Logger, bindings, childOptions) {
    return proto.child.call(this, redactSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}
