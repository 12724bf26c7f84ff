/**
 * SMTP's and IMAP's failures as email's codes: what the outbox retries, and what faults it until someone looks.
 * The errors are shaped as nodemailer and ImapFlow throw them.
 */
import { isIntegrationError } from '../../../../common/errors';
import {
  EMAIL_ERROR_CODES,
  imapConnectError,
  imapMailboxError,
  smtpError,
  type EmailErrorCode,
} from '../../../../integrations/email/errors';

const smtp = (message: string, fields: { code?: string; response?: string; responseCode?: number }) =>
  Object.assign(new Error(message), fields);

describe('smtpError', () => {
  const cases: [string, unknown, EmailErrorCode, boolean, string][] = [
    [
      'a refused login',
      smtp('Invalid login: 535 5.7.8 Error: authentication failed', {
        code: 'EAUTH',
        response: '535 5.7.8 Error: authentication failed',
        responseCode: 535,
      }),
      'email_auth_failed',
      false,
      'SMTP refused the login: 535 5.7.8 Error: authentication failed',
    ],
    [
      'a refused recipient',
      smtp('Can’t send mail - all recipients were rejected', {
        code: 'EENVELOPE',
        response: '550 5.1.1 <team@example.com>: Recipient address rejected',
        responseCode: 550,
      }),
      'email_rejected',
      false,
      'SMTP 550: 550 5.1.1 <team@example.com>: Recipient address rejected',
    ],
    [
      'a server busy for now',
      smtp('Data command failed', {
        code: 'EENVELOPE',
        response: '421 4.7.0 Try again later',
        responseCode: 421,
      }),
      'email_unavailable',
      true,
      'SMTP unavailable: 421 4.7.0 Try again later',
    ],
    [
      'a lost connection',
      smtp('Connection closed unexpectedly', { code: 'ECONNECTION' }),
      'email_unavailable',
      true,
      'SMTP unavailable: Connection closed unexpectedly',
    ],
    ['something that is not an error', 'boom', 'email_unavailable', true, 'SMTP unavailable: boom'],
  ];
  it.each(cases)('%s', (_what, err, code, retryable, message) => {
    const mapped = smtpError(err);
    expect({ code: mapped.code, retryable: mapped.retryable, message: mapped.message }).toEqual({
      code,
      retryable,
      message,
    });
    expect(mapped.cause).toBe(err);
    expect(isIntegrationError(mapped, code)).toBe(true);
  });

  it('keeps a long answer short', () => {
    expect(smtpError(smtp('x', { response: 'y'.repeat(1000) })).message).toHaveLength(
      'SMTP unavailable: '.length + 300,
    );
  });
});

describe('IMAP errors', () => {
  it('tells a refused login (for someone to fix) from an unreachable server (retried)', () => {
    const refused = Object.assign(new Error('Authentication failed'), { authenticationFailed: true });
    expect(imapConnectError(refused)).toMatchObject({
      code: 'email_auth_failed',
      retryable: false,
      message: 'IMAP refused the login: Authentication failed',
    });
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:3143'), { code: 'ECONNREFUSED' });
    expect(imapConnectError(down)).toMatchObject({
      code: 'email_unavailable',
      retryable: true,
      message: 'IMAP unavailable: connect ECONNREFUSED 127.0.0.1:3143',
    });
  });

  it('names the mailbox that cannot be opened', () => {
    expect(imapMailboxError('Support', new Error('Command failed'))).toMatchObject({
      code: 'email_rejected',
      retryable: false,
      message: 'IMAP mailbox "Support": Command failed',
    });
  });
});

describe('the closed list of codes', () => {
  it('holds every code the mappers produce, and the not-configured one', () => {
    const produced = [
      smtpError(smtp('a', { code: 'EAUTH' })),
      smtpError(smtp('b', { responseCode: 554 })),
      smtpError(smtp('c', {})),
      imapConnectError(Object.assign(new Error('d'), { authenticationFailed: true })),
      imapMailboxError('INBOX', new Error('e')),
    ].map((e) => e.code);
    for (const code of produced) expect(EMAIL_ERROR_CODES).toContain(code);
    expect(EMAIL_ERROR_CODES).toContain('email_not_configured');
    expect(EMAIL_ERROR_CODES.every((c) => c.startsWith('email_'))).toBe(true);
  });
});
