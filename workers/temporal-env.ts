/** Temporal connection settings from Temporal's own `TEMPORAL_*` variables, zod-checked. */
import fs from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../common/errors';

const flag = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');

const envSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  PARLEY_TASK_QUEUE: z.string().min(1).default('parley'),
});

export interface TemporalSettings {
  /** Unset: Parley runs its own dev server. */
  address?: string;
  namespace: string;
  taskQueue: string;
  apiKey?: string;
  tls?: {
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
    clientCertPair?: { crt: Buffer; key: Buffer };
  };
}

function read(file: string, variable: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${variable}=${file}: ${(err as Error).message}`);
  }
}

export function temporalSettings(env: NodeJS.ProcessEnv = process.env): TemporalSettings {
  // An empty variable (`TEMPORAL_ADDRESS=` in a compose file) means unset.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      `environment: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  const e = parsed.data;
  const settings: TemporalSettings = { namespace: e.TEMPORAL_NAMESPACE, taskQueue: e.PARLEY_TASK_QUEUE };
  if (e.TEMPORAL_ADDRESS) settings.address = e.TEMPORAL_ADDRESS;
  if (e.TEMPORAL_API_KEY) settings.apiKey = e.TEMPORAL_API_KEY;
  const wantsTls = e.TEMPORAL_TLS || e.TEMPORAL_API_KEY !== undefined || e.TEMPORAL_TLS_CLIENT_CERT_PATH !== undefined;
  if (wantsTls) {
    const tls: NonNullable<TemporalSettings['tls']> = {};
    if (e.TEMPORAL_TLS_SERVER_NAME) tls.serverNameOverride = e.TEMPORAL_TLS_SERVER_NAME;
    if (e.TEMPORAL_TLS_SERVER_CA_CERT_PATH)
      tls.serverRootCACertificate = read(e.TEMPORAL_TLS_SERVER_CA_CERT_PATH, 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
    if (e.TEMPORAL_TLS_CLIENT_CERT_PATH || e.TEMPORAL_TLS_CLIENT_KEY_PATH) {
      if (!e.TEMPORAL_TLS_CLIENT_CERT_PATH || !e.TEMPORAL_TLS_CLIENT_KEY_PATH)
        throw new ConfigError(
          'environment: TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together',
        );
      tls.clientCertPair = {
        crt: read(e.TEMPORAL_TLS_CLIENT_CERT_PATH, 'TEMPORAL_TLS_CLIENT_CERT_PATH'),
        key: read(e.TEMPORAL_TLS_CLIENT_KEY_PATH, 'TEMPORAL_TLS_CLIENT_KEY_PATH'),
      };
    }
    settings.tls = tls;
  }
  return settings;
}

/** Options shared by the client's `Connection` and the worker's `NativeConnection`. */
export function connectionOptions(settings: TemporalSettings, address: string) {
  return {
    address,
    ...(settings.tls ? { tls: settings.tls } : {}),
    ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
  };
}
