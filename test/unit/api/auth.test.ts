/** The keyring of api/auth.ts: who a key names, in which scope, compared timing-safe against every key. */
import crypto from 'node:crypto';
import type { Request } from 'express';
import { createKeyring } from '../../../api/auth';
import { configSchema } from '../../../common/config';

const config = configSchema.parse({
  admin: { keys: ['sk_admin_first_0123456789', 'sk_admin_second_012345678'] },
  apps: [
    { id: 'acme', apiKeys: ['sk_acme_old_0123456789ab', 'sk_acme_new_0123456789ab'] },
    { id: 'globex', apiKeys: ['sk_globex_0123456789abcd'] },
  ],
});
const keyring = createKeyring(config);
const request = (authorization?: string) =>
  ({ get: (name: string) => (name.toLowerCase() === 'authorization' ? authorization : undefined) }) as Request;

describe('the keyring', () => {
  it('names the app of a client key and the admin scope of an admin key, each of several valid at once', () => {
    for (const key of ['sk_acme_old_0123456789ab', 'sk_acme_new_0123456789ab'])
      expect(keyring.identify(request(`Bearer ${key}`))).toMatchObject({ scope: 'client', app: { id: 'acme' } });
    expect(keyring.identify(request('Bearer sk_globex_0123456789abcd'))).toMatchObject({ app: { id: 'globex' } });
    for (const key of config.admin?.keys ?? []) {
      expect(keyring.identify(request(`Bearer ${key}`))).toEqual({ scope: 'admin' });
      expect(keyring.isAdmin(request(`bearer   ${key}  `))).toBe(true);
    }
    expect(keyring.isAdmin(request('Bearer sk_acme_old_0123456789ab'))).toBe(false);
  });

  it('tells a missing key from a wrong one, and takes nothing but a Bearer key', () => {
    expect(keyring.identify(request())).toBe('missing');
    expect(keyring.identify(request('Basic c2tfYWRtaW4='))).toBe('missing');
    expect(keyring.identify(request('Bearer'))).toBe('missing');
    expect(keyring.identify(request('Bearer sk_admin_first_012345678'))).toBe('invalid');
    expect(keyring.identify(request('Bearer sk_admin_first_0123456789 extra'))).toBe('missing');
    expect(keyring.isAdmin(request('Bearer nope'))).toBe(false);
  });

  it('compares the presented key with every key, timing-safe, whichever matches', () => {
    const compare = jest.spyOn(crypto, 'timingSafeEqual');
    try {
      const total = 2 + 3;
      for (const key of ['sk_admin_first_0123456789', 'sk_globex_0123456789abcd', 'not-a-key-of-anyone']) {
        compare.mockClear();
        keyring.identify(request(`Bearer ${key}`));
        expect([key, compare.mock.calls.length]).toEqual([key, total]);
      }
    } finally {
      compare.mockRestore();
    }
  });
});
