import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { createSealer, installationSealKeys, lazySealer } from '../../../common/seal';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('sealed installation secrets', () => {
  test('seal then open gives the secret back; the sealed form never contains it and differs every time', () => {
    const sealer = createSealer([key('a')]);
    const secret = 'xoxe.xoxb-1-secret-token';
    const one = sealer.seal(secret);
    const two = sealer.seal(secret);
    expect(one).toMatch(/^sealed:v1:a:/);
    expect(one).not.toContain('xox');
    expect(one).not.toBe(two);
    expect(sealer.open(one)).toBe(secret);
    expect(sealer.isSealed(one)).toBe(true);
    expect(sealer.isSealed(secret)).toBe(false);
  });

  test('the first key seals, every key opens (rotation); a missing key is named, never the secret', () => {
    const oldKey = key('old');
    const sealedBefore = createSealer([oldKey]).seal('before');
    const rotated = createSealer([key('new'), oldKey]);
    expect(rotated.open(sealedBefore)).toBe('before');
    expect(rotated.seal('after')).toMatch(/^sealed:v1:new:/);
    expect(() => createSealer([key('other')]).open(sealedBefore)).toThrow(/key "old".*PARLEY_ENCRYPTION_KEYS/);
  });

  test('a tampered or truncated value does not open', () => {
    const sealer = createSealer([key('a')]);
    const sealed = sealer.seal('secret');
    const flipped = `${sealed.slice(0, -2)}${sealed.endsWith('A') ? 'B' : 'A'}${sealed.slice(-1)}`;
    expect(() => sealer.open(flipped)).toThrow(/does not open/);
    expect(() => sealer.open('sealed:v1:a:AAAA')).toThrow(/truncated/);
    expect(() => sealer.open('plain')).toThrow(/not a sealed value/);
  });

  test('keys are derived from PARLEY_ENCRYPTION_KEYS when set, else generated once into .parley/installation-key', () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-seal-'));
    const encryption = key('k1');
    const derived = installationSealKeys([encryption], home);
    expect(derived[0]?.id).toBe('pek-k1');
    expect(derived[0]?.key.equals(encryption.key)).toBe(false);
    expect(fs.existsSync(path.join(home, 'installation-key'))).toBe(false);

    const local = installationSealKeys([], home);
    const file = path.join(home, 'installation-key');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(installationSealKeys([], home)[0]?.key.equals(local[0]?.key ?? Buffer.alloc(0))).toBe(true);
    // Nothing is written until a secret is sealed.
    const lazyHome = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-seal-'));
    const lazy = lazySealer(() => installationSealKeys([], lazyHome));
    expect(fs.existsSync(path.join(lazyHome, 'installation-key'))).toBe(false);
    expect(lazy.open(lazy.seal('x'))).toBe('x');
    expect(fs.existsSync(path.join(lazyHome, 'installation-key'))).toBe(true);
  });
});
