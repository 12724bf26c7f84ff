import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from './errors';
import { parleyHome } from './paths';

const url = z.url({ protocol: /^https?$/ });
const nonEmpty = z.string().min(1);

/** A batch window and a send budget for one outbox; every integration has defaults, tests override them. */
export const outboxPolicySchema = z.strictObject({
  batchWindowMs: z.number().int().min(0).max(3_600_000).default(0),
  budget: z.strictObject({ max: z.number().int().min(1), periodMs: z.number().int().min(1) }).optional(),
  /** First automatic re-check of a faulted outbox; doubles up to maxRecheckMs. */
  recheckMs: z.number().int().min(100).optional(),
  maxRecheckMs: z.number().int().min(100).optional(),
});
export type OutboxPolicy = z.infer<typeof outboxPolicySchema>;

const webhookSchema = z.strictObject({ url, secret: z.string().min(16, 'must be at least 16 characters') });

/** A Slack user (`U…`, `W…` on Enterprise Grid) or user group (`S…`) id, as Slack shows them in profiles. */
const slackAgentId = z
  .string()
  .regex(/^[UWS][A-Z0-9]{2,}$/, 'must be a Slack user id (U…, W…) or user group id (S…), e.g. U024BE7LH or S0614TZR7');

/** A value a route compares with: what a profile property or a message's metadata holds. */
const routeValue = z.union([z.string(), z.number(), z.boolean()]);

/**
 * When a route applies: one profile property (`profile.properties`) or one metadata key of the conversation (its first
 * message's metadata, and `department` as `PUT …/conversation` sets it), equal to a value or one of several.
 */
const routeWhenSchema = z.union([
  z.strictObject({ property: nonEmpty, equals: routeValue }),
  z.strictObject({ property: nonEmpty, in: z.array(routeValue).min(1) }),
  z.strictObject({ metadata: nonEmpty, equals: routeValue }),
  z.strictObject({ metadata: nonEmpty, in: z.array(routeValue).min(1) }),
]);
export type SlackRouteWhen = z.infer<typeof routeWhenSchema>;

/** One of `slack.routes`: where a matching conversation's notice goes, and which agents handle it. */
const slackRouteSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be lowercase letters, digits, "-" or "_"'),
  /** Unset: every conversation matches (a catch-all, put it last). */
  when: routeWhenSchema.optional(),
  /** The route's dispatch channel, by name or id. */
  channel: nonEmpty,
  /** Who handles the route: user ids and user group ids. Unset: the app's `agents` (or everyone). */
  agents: z.array(slackAgentId).min(1).optional(),
});
export type SlackRouteConfig = z.infer<typeof slackRouteSchema>;

const slackFields = z.strictObject({
  /** A token pasted by hand (the app installed in Slack's UI); without it, the app is installed by OAuth. */
  botToken: nonEmpty.optional(),
  signingSecret: nonEmpty,
  // ── OAuth install ("Add to Slack", docs/integrations/slack-install.md) ──
  clientId: nonEmpty.optional(),
  clientSecret: nonEmpty.optional(),
  /** Slack's authorize page; tests point it at the emulator. */
  oauthUrl: url.default('https://slack.com/oauth/v2/authorize'),
  /**
   * Where notices of new conversations go. Unset: the channel picked on Slack's Allow screen (OAuth installs),
   * else `general`.
   */
  dispatchChannel: nonEmpty.optional(),
  installerUserId: nonEmpty.optional(),
  apiUrl: url.default('https://slack.com/api/'),
  /** Create the users' `sk-` channels private: only those invited (the installer, agents who press Join) see them. */
  privateChannels: z.boolean().default(false),
  /**
   * Who may `/sk`, press Join and archive: user ids and user group ids (members read with `usergroups.users.list`).
   * Unset: every member of the workspace, as before.
   */
  agents: z
    .array(slackAgentId)
    .min(1, 'list at least one agent, or leave `agents` out to let every member in')
    .optional(),
  /**
   * The layout (docs/integrations/slack-teams.md): `channels`, a channel per user (the default), or `threads`, a
   * thread per conversation in its route's channel.
   */
  mode: z.enum(['channels', 'threads']).default('channels'),
  /** In threads mode, an agent's thread reply that starts with this stays an internal note. */
  notePrefix: nonEmpty.max(16).default(';;'),
  /**
   * Routes, first match wins: each sends its conversations' notices to its channel and names its agents. A
   * conversation no route matches goes to `dispatchChannel`, handled by `agents`.
   */
  routes: z.array(slackRouteSchema).max(50).optional(),
});

/** `slack:` — a static `botToken`, or `clientId` and `clientSecret` for the OAuth install (both may be set). */
const slackSchema = slackFields.superRefine((slack, ctx) => {
  const names = new Set<string>();
  slack.routes?.forEach((route, i) => {
    if (names.has(route.name))
      ctx.addIssue({ code: 'custom', path: ['routes', i, 'name'], message: `two routes are named ${route.name}` });
    names.add(route.name);
  });
  if (!slack.botToken && !(slack.clientId && slack.clientSecret))
    ctx.addIssue({
      code: 'custom',
      path: ['clientId'],
      message: 'set clientId and clientSecret (to install by "Add to Slack"), or a botToken',
    });
  if (Boolean(slack.clientId) !== Boolean(slack.clientSecret))
    ctx.addIssue({
      code: 'custom',
      path: [slack.clientId ? 'clientSecret' : 'clientId'],
      message: 'clientId and clientSecret go together',
    });
});
export type SlackAppConfig = z.infer<typeof slackSchema>;

const zendeskSchema = z.strictObject({
  url,
  email: z.email(),
  apiToken: nonEmpty,
  /** Parley's own budget of updates per ticket per 10 minutes (Zendesk's documented limit is 30). */
  updatesPerTenMinutes: z.number().int().min(1).max(30).default(30),
  /**
   * Whether the profile emails this app sends are verified (by the app, before they reach Parley). Only then may
   * Zendesk match an existing user by that email; otherwise (the default) each app user is its own end user, found
   * by a Parley `external_id` with a Parley-owned address, and the email the app gave is only shown to agents.
   */
  trustUserEmail: z.boolean().default(false),
});

const helpscoutSchema = z.strictObject({
  clientId: nonEmpty,
  clientSecret: nonEmpty,
  mailbox: z.union([nonEmpty, z.number().int()]),
  apiUrl: url.default('https://api.helpscout.net/v2/'),
});

const mailServer = z.strictObject({
  host: nonEmpty,
  port: z.number().int().min(1).max(65535),
  secure: z.boolean().default(false),
  user: z.string().optional(),
  pass: z.string().optional(),
});

const emailFields = z.strictObject({
  smtp: mailServer,
  imap: mailServer.extend({ mailbox: nonEmpty.default('INBOX') }),
  from: nonEmpty,
  teamAddresses: z.array(z.email()).min(1),
  allowedSenders: z.array(nonEmpty).min(1),
  replyAddress: z.email(),
  digestSeconds: z.number().int().min(0).max(86_400).optional(),
  copyAgentReplies: z.boolean().default(false),
  /**
   * Signs the reply tokens and the Message-IDs' macs, which prove a reply's thread. Default: derived from the
   * app's API keys (the first signs, every one verifies), so removing a key retires the reply addresses and
   * Message-IDs of the mails signed with it. Set it to keep them whatever happens to the keys.
   */
  tokenSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Relay a reply only when the receiving mail server's Authentication-Results header shows DMARC pass (or DKIM
   * pass with the From domain's own signature) for the sender's domain. Off by default: many servers add no
   * such header.
   */
  requireAuthenticatedSender: z.boolean().default(false),
  /**
   * The authserv-id(s) the receiving server writes in Authentication-Results (`mx.google.com`): then only its
   * topmost header with that id counts, not just the topmost. Needs requireAuthenticatedSender.
   */
  authServId: z.union([nonEmpty, z.array(nonEmpty).min(1)]).optional(),
  /**
   * The largest mail the inbox reads (bytes, attachments included); a larger one is ignored as `oversized`, counted
   * and logged, and the inbox goes on. Replies over 32,000 bytes of text are cut, not ignored.
   */
  maxMailBytes: z
    .number()
    .int()
    .min(64 * 1024)
    .max(50 * 1024 * 1024)
    .default(2 * 1024 * 1024),
  /** How long one IMAP session of the inbox watcher lasts before the workflow starts the next (milliseconds). */
  watchSessionMs: z.number().int().min(1000).max(3_600_000).default(600_000),
});

const emailSchema = emailFields.superRefine((email, ctx) => {
  if (email.authServId !== undefined && !email.requireAuthenticatedSender)
    ctx.addIssue({
      code: 'custom',
      path: ['authServId'],
      message: 'has no effect without `requireAuthenticatedSender: true`: set both, or neither',
    });
});
export type EmailConfig = z.infer<typeof emailSchema>;

/**
 * The sink: Parley's shipped HTTP integration, posting batches to a URL. The tests and benches use it to exercise
 * the outbox engine (batching, budget, rate limit, faults) the way the real integrations use it. `test:` is its
 * old name, still read for one release.
 */
const sinkSchema = z.strictObject({ url, policy: outboxPolicySchema.default({ batchWindowMs: 0 }) });
export type SinkConfig = z.infer<typeof sinkSchema>;

/**
 * `limits.conversationBacklog` (issue 15): how much one conversation's blocked outboxes (faulted, rate-limited,
 * waiting for their budget) may hold before the API answers 429 `conversation_backlogged`. Deliveries (a message
 * waiting for two outboxes counts twice) and their bytes; the bytes keep the workflow's state under its budget, so
 * they are capped at 256 kB.
 */
const conversationBacklogSchema = z.strictObject({
  messages: z.number().int().min(1).max(2000).default(1000),
  bytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024)
    .default(128 * 1024),
});
/** `250ms`, `30s`, `5m`, `2h` (or a number of milliseconds), as milliseconds. */
export const durationSchema = z.union([
  z.number().int().min(0),
  z
    .string()
    .regex(/^\d{1,7}(ms|s|m|h)$/, 'a duration such as `30s`, `5m` or `2h`')
    .transform((text) => {
      const unit = /(ms|s|m|h)$/.exec(text)?.[1] ?? 'ms';
      const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit] ?? 1;
      return Number.parseInt(text, 10) * factor;
    }),
]);

/** Who controls a new conversation (and an archived one again): the app's bot, or the team (the default). */
const controlSchema = z.strictObject({ default: z.enum(['team', 'bot']).default('team') });

/**
 * Offline users: an agent's reply the app has not reported delivered (or read) within `emailAfter` is mailed to the
 * user's profile email, only when the app vouches for its users' emails (`emailsVerified`). Needs the app's
 * `email` integration (its SMTP server sends, its inbox reads the user's answers) and `server.publicUrl` (the
 * unsubscribe link).
 */
const offlineSchema = z.strictObject({
  emailAfter: durationSchema
    .pipe(
      z
        .number()
        .int()
        .min(1000)
        .max(7 * 86_400_000),
    )
    .default(300_000),
  emailsVerified: z.boolean().default(false),
  /** The sender the user sees (`Acme <support@acme.com>`); default: `email.from`. */
  from: nonEmpty.optional(),
  /** Where the mail sends the user back to answer in the app. */
  linkUrl: url.optional(),
});
export type OfflineConfig = z.infer<typeof offlineSchema>;

/**
 * `apps[].limits`: what one app may ask of Parley through the client API (docs/operate/limits.md). Each API replica
 * enforces `server.apiReplicas`'s share of every rate and burst. Keep new limit keys here, in this one block.
 */
export const appLimitsSchema = z.strictObject({
  /** Message posts, profile updates and archives per second, all users of the app together. */
  messagesPerSecond: z.number().positive().max(1_000_000).default(100),
  /** How many of them may come at once after a quiet spell. */
  burst: z.number().int().min(1).max(1_000_000).default(500),
  /** Conversations started per minute (each may open a Slack channel, a Zendesk ticket…); also its burst. */
  newConversationsPerMinute: z.number().positive().max(1_000_000).default(120),
  /** The same for one user of the app. */
  perUser: z
    .strictObject({
      messagesPerSecond: z.number().positive().max(1_000_000).default(10),
      burst: z.number().int().min(1).max(1_000_000).default(100),
    })
    .prefault({}),
  /** A conversation's backlog behind outboxes that cannot deliver (issue 15, docs/operate/outboxes.md#backlog). */
  conversationBacklog: conversationBacklogSchema.prefault({}),
});
export type AppLimits = z.infer<typeof appLimitsSchema>;

/** An app id: in workflow ids, search attributes and URLs. */
export const appIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'must be lowercase letters, digits, "-" or "_" (at most 63 characters)');

export const appSchema = z
  .strictObject({
    id: appIdSchema,
    name: nonEmpty.optional(),
    apiKeys: z.array(z.string().min(16, 'must be at least 16 characters')).min(1),
    webhooks: z.array(webhookSchema).default([]),
    slack: slackSchema.optional(),
    zendesk: zendeskSchema.optional(),
    helpscout: helpscoutSchema.optional(),
    email: emailSchema.optional(),
    sink: sinkSchema.optional(),
    limits: appLimitsSchema.prefault({}),
    /** The sink's old name (deprecated): read as `sink`. */
    test: sinkSchema.optional(),
    control: controlSchema.optional(),
    offline: offlineSchema.optional(),
  })
  .superRefine((app, ctx) => {
    if (app.offline && !app.email)
      ctx.addIssue({
        code: 'custom',
        path: ['offline'],
        message: "needs the app's `email` integration: its SMTP server sends the mail, its inbox reads the answers",
      });
    if (app.sink && app.test)
      ctx.addIssue({ code: 'custom', path: ['test'], message: '`test` is the old name of `sink`: keep only `sink`' });
  })
  .transform(({ test, ...app }) => (test && !app.sink ? { ...app, sink: test } : app));
export type AppConfig = z.infer<typeof appSchema>;

/**
 * Admin keys: they manage integrations and resume outboxes for every app, and do not post as any app's users. Several
 * at once, so a key is rotated by adding the new one, moving its users over, then removing the old one.
 */
const adminSchema = z.strictObject({
  keys: z.array(z.string().min(16, 'must be at least 16 characters')).min(1, 'list at least one key'),
});

/** What files Parley accepts and how long it keeps them; the same for every store kind. */
const fileLimits = {
  /** Signs the download URLs (per app). Default: derived from each app's API keys. */
  signingSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How long a download URL works (seconds). */
  urlTtlSeconds: z
    .number()
    .int()
    .min(60)
    .max(7 * 86_400)
    .default(3600),
  /** Files older than this are deleted (days); unset, they are kept until their user is erased. */
  retentionDays: z.number().int().min(1).optional(),
  /** The largest file accepted (bytes). */
  maxFileBytes: z
    .number()
    .int()
    .min(1)
    .max(100 * 1024 * 1024)
    .default(25 * 1024 * 1024),
  maxFilesPerMessage: z.number().int().min(1).max(50).default(10),
  maxBytesPerMessage: z
    .number()
    .int()
    .min(1)
    .default(50 * 1024 * 1024),
  /** Media types accepted (after sniffing the bytes); default: images, PDF, Office/OpenDocument, text and CSV. */
  allowedTypes: z.array(nonEmpty).min(1).optional(),
};

/** Where files live: the filesystem (default `.parley/files`) or an S3-compatible bucket. */
export const storageSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fs'), path: nonEmpty.optional(), ...fileLimits }),
  z.strictObject({
    kind: z.literal('s3'),
    bucket: nonEmpty,
    endpoint: url.optional(),
    region: nonEmpty.default('us-east-1'),
    accessKeyId: nonEmpty.optional(),
    secretAccessKey: nonEmpty.optional(),
    forcePathStyle: z.boolean().default(false),
    /** Key prefix inside the bucket. */
    prefix: z.string().default(''),
    ...fileLimits,
  }),
]);
export type StorageConfig = z.infer<typeof storageSchema>;

export const configSchema = z
  .strictObject({
    server: z
      .strictObject({
        publicUrl: url.optional(),
        /** API processes sharing the load: each enforces this share of every `apps[].limits` rate and burst. */
        apiReplicas: z.coerce.number().int().min(1).max(1000).default(1),
      })
      .prefault({}),
    admin: adminSchema.optional(),
    storage: storageSchema.prefault({ kind: 'fs' }),
    apps: z.array(appSchema).min(1),
  })
  .superRefine((config, ctx) => {
    const ids = new Set<string>();
    const keys = new Map<string, string>();
    // A key is one scope: the same string as an admin key and a client key would make the scope depend on the route.
    const adminKeys = new Set(config.admin?.keys ?? []);
    config.apps.forEach((app, i) => {
      if (app.offline && !config.server.publicUrl)
        ctx.addIssue({
          code: 'custom',
          path: ['apps', i, 'offline'],
          message: 'needs `server.publicUrl`: the unsubscribe link of every mail points there',
        });
      if (ids.has(app.id))
        ctx.addIssue({ code: 'custom', path: ['apps', i, 'id'], message: `duplicate app id "${app.id}"` });
      ids.add(app.id);
      app.apiKeys.forEach((key, k) => {
        const owner = keys.get(key);
        if (owner !== undefined && owner !== app.id)
          ctx.addIssue({
            code: 'custom',
            path: ['apps', i, 'apiKeys', k],
            message: `API key already used by app "${owner}"`,
          });
        keys.set(key, app.id);
        if (adminKeys.has(key))
          ctx.addIssue({
            code: 'custom',
            path: ['apps', i, 'apiKeys', k],
            message: 'this key is also an admin key (admin.keys): give each scope its own keys',
          });
      });
    });
  });
export type ParleyConfig = z.infer<typeof configSchema>;

export interface LoadedConfig {
  config: ParleyConfig;
  /** The file it came from, or undefined for the built-in demo app. */
  file?: string;
  /** Set when the demo app is in use: its key, printed at start as a ready-to-paste curl. */
  demoKey?: string;
  /** Set when the demo app is in use: the file holding the demo admin key (the banner names the file, never the key). */
  demoAdminKeyFile?: string;
  /** Deprecated settings the file uses, each with what to write instead; logged at start. */
  warnings?: string[];
}

/** Settings that still work but are going away, named with what replaces them. */
export function configWarnings(config: ParleyConfig, raw: unknown): string[] {
  const apps = (raw as { apps?: unknown[] } | null)?.apps;
  if (!Array.isArray(apps)) return [];
  return config.apps.flatMap((app, i) =>
    apps[i] && typeof apps[i] === 'object' && 'test' in apps[i]
      ? [`apps[${i}].test (${app.id}) is the old name of apps[${i}].sink: rename it; \`test:\` goes in a later release`]
      : [],
  );
}

/** Names of the integrations an app has configured, as the workflow's outboxes know them. */
export const INTEGRATIONS = ['slack', 'zendesk', 'helpscout', 'email', 'sink'] as const;
export type IntegrationName = (typeof INTEGRATIONS)[number];

export function enabledIntegrations(app: AppConfig): IntegrationName[] {
  return INTEGRATIONS.filter((name) => app[name] !== undefined);
}

function formatPath(p: readonly PropertyKey[]): string {
  return p.reduce<string>(
    (acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)),
    '',
  );
}

/** Replaces `${NAME}` and `${NAME:-default}` in every string of the parsed YAML. */
function substituteEnv(value: unknown, env: NodeJS.ProcessEnv, at: PropertyKey[], missing: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      missing.push(`${formatPath(at)}: environment variable ${name} is not set`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => substituteEnv(v, env, [...at, i], missing));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, substituteEnv(v, env, [...at, k], missing)]),
    );
  }
  return value;
}

export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = process.env): ParleyConfig {
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}: not valid YAML: ${(err as Error).message}`);
  }
  const missing: string[] = [];
  const substituted = substituteEnv(raw ?? {}, env, [], missing);
  if (missing.length > 0) throw new ConfigError(`${file}: ${missing.join('; ')}`);
  const result = configSchema.safeParse(substituted);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => `${formatPath(issue.path) || '(top level)'}: ${issue.message}`);
    throw new ConfigError(`${file}: ${problems.join('; ')}`);
  }
  return result.data;
}

/**
 * A key generated once into `<home>/<name>` (mode 0600) and read back at every start. A key already there is kept
 * as it is, also one made by an older Parley with another prefix (`pk_demo_…`): rotating someone's key silently
 * would break every script that holds it.
 */
function keptKey(home: string, name: string, prefix: string): { key: string; file: string } {
  const file = path.join(home, name);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing.length >= 16) return { key: existing, file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(home, { recursive: true });
  const key = `${prefix}${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return { key, file };
}

/** The demo app's client key: generated once, kept in `.parley/demo-api-key`; `sk_` says it is a secret. */
export function demoApiKey(home = parleyHome()): string {
  return keptKey(home, 'demo-api-key', 'sk_demo_').key;
}

/** The demo admin key (integrations, outbox resume, `/metrics`): generated once, kept in `.parley/demo-admin-key`. */
export function demoAdminKey(home = parleyHome()): { key: string; file: string } {
  return keptKey(home, 'demo-admin-key', 'sk_admin_');
}

/**
 * Loads `PARLEY_CONFIG` (default `parley.config.yaml`). Without a file, and without PARLEY_CONFIG pointing at
 * one, Parley runs with a single `demo` app whose key is kept in `.parley/`.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadedConfig {
  const explicit = env.PARLEY_CONFIG;
  const file = path.resolve(explicit ?? 'parley.config.yaml');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && explicit === undefined) {
      const key = demoApiKey(parleyHome(env));
      const admin = demoAdminKey(parleyHome(env));
      return {
        config: configSchema.parse({
          admin: { keys: [admin.key] },
          apps: [{ id: 'demo', name: 'Demo', apiKeys: [key] }],
        }),
        demoKey: key,
        demoAdminKeyFile: admin.file,
        warnings: [],
      };
    }
    throw new ConfigError(`${file}: cannot read the configuration file: ${(err as Error).message}`);
  }
  const config = parseConfig(text, file, env);
  let raw: unknown;
  try {
    raw = YAML.parse(text);
  } catch {
    raw = undefined; // parseConfig accepted it, so this does not happen
  }
  return { config, file, warnings: configWarnings(config, raw) };
}
