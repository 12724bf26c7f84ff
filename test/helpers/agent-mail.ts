/**
 * An agent's reply mail with files, as mail clients write one: multipart/mixed holding multipart/related (the
 * text and HTML, and the inline images they show by `cid:`) and the attachments, all base64.
 */
import { randomBytes } from 'node:crypto';

export interface MailPart {
  filename: string;
  contentType: string;
  bytes: Buffer;
  /** Inline parts carry a Content-ID (without brackets) the HTML names as `cid:`. */
  inlineCid?: string;
}

const b64 = (bytes: Buffer): string => (bytes.toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');

export function agentReplyWithFiles(fields: {
  from: string;
  to: string;
  subject: string;
  inReplyTo?: string;
  text: string;
  html: string;
  parts: MailPart[];
}): string {
  const mixed = `m_${randomBytes(6).toString('hex')}`;
  const related = `r_${randomBytes(6).toString('hex')}`;
  const alt = `a_${randomBytes(6).toString('hex')}`;
  const part = (p: MailPart): string[] => [
    `Content-Type: ${p.contentType}; name="${p.filename}"`,
    'Content-Transfer-Encoding: base64',
    p.inlineCid
      ? `Content-Disposition: inline; filename="${p.filename}"\r\nContent-ID: <${p.inlineCid}>`
      : `Content-Disposition: attachment; filename="${p.filename}"`,
    '',
    b64(p.bytes),
  ];
  const inline = fields.parts.filter((p) => p.inlineCid);
  const attached = fields.parts.filter((p) => !p.inlineCid);
  return [
    `From: ${fields.from}`,
    `To: ${fields.to}`,
    `Subject: ${fields.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <CA${randomBytes(8).toString('hex')}@mail.acme.com>`,
    ...(fields.inReplyTo ? [`In-Reply-To: ${fields.inReplyTo}`, `References: ${fields.inReplyTo}`] : []),
    'MIME-Version: 1.0',
    `Content-Type: multipart/mixed; boundary="${mixed}"`,
    '',
    `--${mixed}`,
    `Content-Type: multipart/related; boundary="${related}"`,
    '',
    `--${related}`,
    `Content-Type: multipart/alternative; boundary="${alt}"`,
    '',
    `--${alt}`,
    'Content-Type: text/plain; charset="UTF-8"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(Buffer.from(fields.text.replace(/\n/g, '\r\n'))),
    `--${alt}`,
    'Content-Type: text/html; charset="UTF-8"',
    'Content-Transfer-Encoding: base64',
    '',
    b64(Buffer.from(fields.html)),
    `--${alt}--`,
    ...inline.flatMap((p) => [`--${related}`, ...part(p)]),
    `--${related}--`,
    ...attached.flatMap((p) => [`--${mixed}`, ...part(p)]),
    `--${mixed}--`,
    '',
  ].join('\r\n');
}
