/**
 * Sealed secrets: the Slack installation's tokens live in a Temporal workflow, and must never be readable in
 * Temporal's UI, histories or exports, even when payload encryption is off. Each secret is sealed on its own
 * (AES-256-GCM, tagged with the key id) before it crosses into Temporal, and opened only by the process that uses it.
 *
 * The keys: derived (HKDF-SHA256) from each PARLEY_ENCRYPTION_KEYS key when it is set (the first seals, all open,
 * so a rotation of those keys rotates these), otherwise one generated once into `.parley/installation-key` (mode
 * 0600), the way the demo key is. Processes that share installations (the API seals at install, the worker opens
 * and re-seals at each refresh) must share the keys: set the same PARLEY_ENCRYPTION_KEYS on both, or share `.parley/`.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { EncryptionKey } from './codec';
import { ConfigError } from './errors';
import { parleyHome } from './paths';

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealer {
  /** `sealed:v1:<key id>:<base64url iv|ciphertext|tag>`; the same plaintext seals differently every time. */
  seal(plain: string): string;
  /** The plaintext, or a ConfigError naming the key id this process lacks (never the secret). */
  open(sealed: string): string;
  isSealed(value: string): boolean;
}

export function createSealer(keys: readonly EncryptionKey[]): Sealer {
  const [current] = keys;
  if (!current) throw new ConfigError('no key to seal installation secrets with');
  const byId = new Map(keys.map((k) => [k.id, k.key]));
  return {
    seal(plain) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', current.key, iv);
      const data = Buffer.concat([iv, cipher.update(plain, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${current.id}:${data.toString('base64url')}`;
    },
    open(sealed) {
      if (!sealed.startsWith(PREFIX)) throw new ConfigError('not a sealed value');
      const rest = sealed.slice(PREFIX.length);
      const at = rest.indexOf(':');
      const id = rest.slice(0, at);
      const key = at > 0 ? byId.get(id) : undefined;
      if (!key)
        throw new ConfigError(
          `sealed with key "${id}", which this process does not have: give the API and the worker the same PARLEY_ENCRYPTION_KEYS (or the same .parley/installation-key)`,
        );
      const data = Buffer.from(rest.slice(at + 1), 'base64url');
      if (data.length < IV_BYTES + TAG_BYTES) throw new ConfigError('sealed value is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      try {
        return Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]).toString('utf8');
      } catch {
        throw new ConfigError(`sealed value does not open with key "${id}" (tampered, or another key of that id)`);
      }
    },
    isSealed: (value) => value.startsWith(PREFIX),
  };
}

/** A sealing key from an encryption key: never the encryption key itself, so neither reveals the other. */
function derive(key: EncryptionKey): EncryptionKey {
  return { id: `pek-${key.id}`, key: Buffer.from(hkdfSync('sha256', key.key, 'parley', 'installation-seal', 32)) };
}

/** The key kept in `<home>/installation-key`, made on first use. */
function keptInstallationKey(home: string): EncryptionKey {
  const file = path.join(home, 'installation-key');
  try {
    const existing = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
    if (existing.length === 32) return { id: 'local', key: existing };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  fs.mkdirSync(home, { recursive: true });
  const key = randomBytes(32);
  fs.writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600 });
  return { id: 'local', key };
}

/**
 * The keys this process seals installation secrets with: derived from PARLEY_ENCRYPTION_KEYS when set, else the
 * generated local key (created only when asked for: a Parley without an OAuth-installed Slack never writes it).
 */
export function installationSealKeys(encryptionKeys: readonly EncryptionKey[], home = parleyHome()): EncryptionKey[] {
  if (encryptionKeys.length > 0) return encryptionKeys.map(derive);
  return [keptInstallationKey(home)];
}

/** A sealer whose keys are made on first use (the local key file is written only when a secret is sealed). */
export function lazySealer(keys: () => readonly EncryptionKey[]): Sealer {
  let sealer: Sealer | undefined;
  const get = (): Sealer => (sealer ??= createSealer(keys()));
  return {
    seal: (plain) => get().seal(plain),
    open: (sealed) => get().open(sealed),
    isSealed: (value) => value.startsWith(PREFIX),
  };
}
