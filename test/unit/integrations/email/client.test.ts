/** The keys an app's reply tokens and Message-ID macs are signed and checked with. */
import type { EmailConfig } from '../../../../common/config';
import { tokenSecret, tokenSecrets } from '../../../../integrations/email/client';

const email = { replyAddress: 'support@example.com' } as EmailConfig; // only tokenSecret is read
const app = (apiKeys: string[], secret?: string) => ({
  id: 'acme',
  apiKeys,
  email: { ...email, ...(secret ? { tokenSecret: secret } : {}) },
});

describe('tokenSecrets', () => {
  it('is email.tokenSecret alone when it is set', () => {
    expect(tokenSecrets(app(['key-one-0123456789'], 'a-fixed-secret-0123'))).toEqual(['a-fixed-secret-0123']);
    expect(tokenSecret(app(['key-one-0123456789'], 'a-fixed-secret-0123'))).toBe('a-fixed-secret-0123');
  });

  it('else derives one per API key: the first signs, each verifies, so a rotated key keeps old threads', () => {
    const before = tokenSecrets(app(['key-old-0123456789']));
    const during = tokenSecrets(app(['key-new-0123456789', 'key-old-0123456789']));
    expect(during).toHaveLength(2);
    expect(during[1]).toBe(before[0]);
    expect(tokenSecret(app(['key-new-0123456789', 'key-old-0123456789']))).toBe(during[0]);
    expect(during[0]).not.toBe(during[1]);
    // Derived, never a key itself.
    expect(during).not.toContain('key-new-0123456789');
  });
});
