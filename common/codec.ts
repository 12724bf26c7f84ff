/**
 * Payload encryption at rest: AES-256-GCM over each whole Temporal payload, tagged with the key id so keys can
 * rotate (`PARLEY_ENCRYPTION_KEYS=id1:base64key[,id2:base64key…]`: the first encrypts, all decrypt).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError } from './errors';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
const KEY_ID_HEADER = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface EncryptionKey {
  id: string;
  key: Buffer;
}

/** Parses `PARLEY_ENCRYPTION_KEYS`; never echoes a key in its errors. */
export function parseEncryptionKeys(value: string | undefined): EncryptionKey[] {
  if (!value || value.trim() === '') return [];
  const keys = value.split(',').map((part, i) => {
    const at = part.indexOf(':');
    const id = part.slice(0, at).trim();
    const key = Buffer.from(part.slice(at + 1).trim(), 'base64');
    if (at <= 0 || !/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw new ConfigError(
        `PARLEY_ENCRYPTION_KEYS: entry ${i + 1} must be <id>:<base64 key> (id: letters, digits, . _ -)`,
      );
    }
    if (key.length !== 32)
      throw new ConfigError(
        `PARLEY_ENCRYPTION_KEYS: key "${id}" must be 32 bytes, base64-encoded (openssl rand -base64 32)`,
      );
    return { id, key };
  });
  const ids = new Set(keys.map((k) => k.id));
  if (ids.size !== keys.length) throw new ConfigError('PARLEY_ENCRYPTION_KEYS: key ids must be unique');
  return keys;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

export function createEncryptionCodec(keys: EncryptionKey[]): PayloadCodec {
  const [current] = keys;
  if (!current) throw new ConfigError('PARLEY_ENCRYPTION_KEYS: at least one key is needed to encrypt');
  const byId = new Map(keys.map((k) => [k.id, k.key]));

  return {
    // PayloadCodec is async by contract; node:crypto's AES-GCM is synchronous.
    // eslint-disable-next-line @typescript-eslint/require-await
    async encode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        const plain = temporal.api.common.v1.Payload.encode(payload).finish();
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', current.key, iv);
        const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
        return { metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_HEADER]: utf8(current.id) }, data };
      });
    },
    // eslint-disable-next-line @typescript-eslint/require-await
    async decode(payloads: Payload[]): Promise<Payload[]> {
      return payloads.map((payload) => {
        const encoding = payload.metadata?.encoding ? Buffer.from(payload.metadata.encoding).toString() : undefined;
        if (encoding !== ENCRYPTED_ENCODING) return payload;
        const id = Buffer.from(payload.metadata?.[KEY_ID_HEADER] ?? new Uint8Array()).toString();
        const key = byId.get(id);
        if (!key) throw new Error(`payload encrypted with unknown key "${id}": add it to PARLEY_ENCRYPTION_KEYS`);
        const data = Buffer.from(payload.data ?? new Uint8Array());
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
        return temporal.api.common.v1.Payload.decode(plain);
      });
    },
  };
}

/** The data converter options for clients and workers: encrypted when keys are set, plain otherwise. */
export function dataConverterFor(keys: EncryptionKey[]): { payloadCodecs: PayloadCodec[] } | undefined {
  return keys.length > 0 ? { payloadCodecs: [createEncryptionCodec(keys)] } : undefined;
}

export interface EncryptionSettings {
  keys: EncryptionKey[];
  codecToken?: string;
  corsOrigins: string[];
}

/** `PARLEY_ENCRYPTION_KEYS`, `PARLEY_CODEC_TOKEN`, `PARLEY_CODEC_CORS_ORIGINS` (default: the local Temporal UI). */
export function encryptionSettings(env: NodeJS.ProcessEnv = process.env): EncryptionSettings {
  // Empty means unset, as for Temporal's own variables.
  const corsOrigins = (env.PARLEY_CODEC_CORS_ORIGINS || 'http://localhost:8233,http://127.0.0.1:8233')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const settings: EncryptionSettings = { keys: parseEncryptionKeys(env.PARLEY_ENCRYPTION_KEYS), corsOrigins };
  if (env.PARLEY_CODEC_TOKEN) {
    if (env.PARLEY_CODEC_TOKEN.length < 16) throw new ConfigError('PARLEY_CODEC_TOKEN must be at least 16 characters');
    settings.codecToken = env.PARLEY_CODEC_TOKEN;
  }
  return settings;
}
