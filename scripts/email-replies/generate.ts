/**
 * Writes the reply corpus, test/fixtures/email-replies/: one .eml per case, formatted the way each client formats
 * a reply (its attribution line or header block, separators, quote markup, signature and device line, MIME
 * layout and headers), in 16 languages, plus cases.json with each case's expected reply and tags.
 *
 *   node --import tsx scripts/email-replies/generate.ts
 *
 * Deterministic: the same files on every run. Scored by `npm run email:corpus`.
 */
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { type D, type Lang, type Locale, type Person, locales } from './locales';
import { buildMime, encodeWord, mailbox, type MimeMessage } from './mime';

export type Client =
  | 'gmail'
  | 'outlook-desktop'
  | 'outlook-web'
  | 'outlook-mobile'
  | 'apple-mail'
  | 'ios'
  | 'android'
  | 'thunderbird'
  | 'yahoo'
  | 'yandex'
  | 'mailru'
  | 'windows-mail';

type Scenario =
  | 'top'
  | 'signoff'
  | 'dashsig'
  | 'bottom'
  | 'inline'
  | 'forward'
  | 'quoteonly'
  | 'lookalike'
  | 'glued'
  | 'wrapped'
  | 'original';

export interface Expected {
  equals?: string;
  includes?: string[];
  excludes?: string[];
}

export interface CorpusEntry {
  file: string;
  client: Client;
  variant: string;
  lang: Lang;
  format: 'plain' | 'html';
  scenario: Scenario;
  expected: Expected;
}

interface Built {
  text?: string;
  html?: string;
  variant: string;
}

interface Ctx {
  L: Locale;
  t: D;
  sc: Scenario;
  /** The reply as the agent typed it (what must come out). */
  R: string[];
  /** The message being answered. */
  Q: string[];
  k: number;
  plain: boolean;
}

const OUT = path.join(__dirname, '..', '..', 'test', 'fixtures', 'email-replies');
const TEAM: Person = { name: 'Acme Support', email: 'support@acme.example' };

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const addr = (p: Person): string => `${p.name} <${p.email}>`;
const quote = (lines: string[], marker = '> '): string[] => lines.map((l) => (l === '' ? marker.trim() : marker + l));
const divs = (lines: string[]): string =>
  lines.map((l) => (l === '' ? '<div><br></div>' : `<div>${esc(l)}</div>`)).join('');
const mso = (lines: string[]): string =>
  lines.map((l) => `<p class=MsoNormal>${l === '' ? '<o:p>&nbsp;</o:p>' : `${esc(l)}<o:p></o:p>`}</p>`).join('\n');
const paras = (lines: string[]): string => {
  // Thunderbird: one <p> per paragraph, <br> between its lines.
  const out: string[] = [];
  let cur: string[] = [];
  for (const l of [...lines, '']) {
    if (l === '') {
      if (cur.length) out.push(`<p>${cur.map(esc).join('<br>\n')}</p>`);
      cur = [];
    } else cur.push(l);
  }
  return out.join('\n');
};

/** Gmail's text part wraps long lines at 76 columns, so its attribution line often breaks before "wrote:". */
function wrap(line: string, width = 76): string[] {
  if (line.length <= width) return [line];
  const cut = line.lastIndexOf(' ', width);
  if (cut <= 0) return [line];
  return [line.slice(0, cut), ...wrap(line.slice(cut + 1), width)];
}

function headerLines(
  c: Ctx,
  opts: { dateLabel?: boolean; nameOnly?: boolean; mailto?: boolean; subject?: string },
): string[] {
  const { L } = c;
  const l = L.labels;
  const from = opts.nameOnly
    ? c.L.customer.name
    : opts.mailto
      ? `${L.customer.name} [mailto:${L.customer.email}]`
      : addr(L.customer);
  return [
    `${l.from}${L.colon} ${from}`,
    `${opts.dateLabel ? l.date : l.sent}${L.colon} ${L.outlookDate(c.t)}`,
    `${l.to}${L.colon} ${TEAM.name} <${TEAM.email}>`,
    `${l.subject}${L.colon} ${opts.subject ?? `${L.reply}: ${L.subject}`}`,
  ];
}

function htmlHeaders(c: Ctx, bold: boolean, subject?: string): string {
  return headerLines(c, subject ? { subject } : {})
    .map((h) => {
      const i = h.indexOf(c.L.colon);
      const label = h.slice(0, i + c.L.colon.length);
      return bold ? `<b>${esc(label)}</b> ${esc(h.slice(i + c.L.colon.length + 1))}` : esc(h);
    })
    .join('<br>\n');
}

function forwardBlock(c: Ctx): string[] {
  const l = c.L.labels;
  return [
    c.L.forwarded,
    `${l.from}${c.L.colon} ${addr(c.L.customer)}`,
    `${l.date}${c.L.colon} ${c.L.outlookDate(c.t)}`,
    `${l.subject}${c.L.colon} ${c.L.subject}`,
    `${l.to}${c.L.colon} <${TEAM.email}>`,
  ];
}

const withSig = (c: Ctx): string[] => (c.sc === 'dashsig' ? [...c.R, '', '-- ', c.L.agent.name, 'Acme Support'] : c.R);

// --- clients -------------------------------------------------------------------------------------------------

function gmail(c: Ctx): Built {
  const attr = c.L.gmail(c.t, c.L.customer);
  const gq = (inner: string, a = attr): string =>
    `<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">${esc(a)}<br></div>` +
    `<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">${inner}</blockquote></div>`;
  const sigHtml =
    c.sc === 'dashsig'
      ? `<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><div dir="ltr">${esc(c.L.agent.name)}<div>Acme Support</div></div></div>`
      : '';
  const reply = `<div dir="ltr">${divs(c.R)}${sigHtml}</div>`;
  switch (c.sc) {
    case 'bottom':
      return {
        variant: 'web',
        text: [...wrap(attr), '', ...quote(c.Q), '', ...c.R, ''].join('\n'),
        html: `<div dir="ltr">${gq(`<div dir="ltr">${divs(c.Q)}</div>`)}<div><br></div>${divs(c.R)}</div>`,
      };
    case 'inline': {
      const [a0, a1] = c.L.inline;
      const q = c.Q;
      return {
        variant: 'web',
        text: [
          ...wrap(attr),
          '',
          ...quote([q[0] ?? '']),
          '',
          a0,
          '',
          ...quote([q[1] ?? '']),
          '',
          a1,
          '',
          ...quote([q[2] ?? '']),
          '',
        ].join('\n'),
        html:
          `<div dir="ltr"><div class="gmail_quote"><div dir="ltr" class="gmail_attr">${esc(attr)}<br></div>` +
          `<blockquote class="gmail_quote">${divs([q[0] ?? ''])}</blockquote><div>${esc(a0)}</div><div><br></div>` +
          `<blockquote class="gmail_quote">${divs([q[1] ?? ''])}</blockquote><div>${esc(a1)}</div><div><br></div>` +
          `<blockquote class="gmail_quote">${divs([q[2] ?? ''])}</blockquote></div></div>`,
      };
    }
    case 'forward': {
      const fw = forwardBlock(c);
      return {
        variant: 'web',
        text: [c.R[0] ?? '', '', ...fw, '', '', ...c.Q, ''].join('\n'),
        html:
          `<div dir="ltr">${esc(c.R[0] ?? '')}<br><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">` +
          fw.map(esc).join('<br>') +
          `<br></div><br><br><div dir="ltr">${divs(c.Q)}</div></div></div>`,
      };
    }
    case 'quoteonly':
      return {
        variant: 'web',
        text: ['', ...wrap(attr), '', ...quote(c.Q), ''].join('\n'),
        html: `<div dir="ltr"><br></div><br>${gq(`<div dir="ltr">${divs(c.Q)}</div>`)}`,
      };
    case 'glued': {
      const lines = [...c.R];
      lines[lines.length - 1] = `${lines[lines.length - 1] ?? ''}${attr}`;
      return { variant: 'web', text: [...lines, '', ...quote(c.Q), ''].join('\n') };
    }
    case 'wrapped': {
      const q = [c.Q[0] ?? '', 'Tracking:'];
      return {
        variant: 'web',
        text: [
          ...c.R,
          '',
          ...wrap(attr),
          '',
          ...quote(q),
          'https://track.acme.example/parcel/4821-XJ7?lang=' + c.L.lang,
          ...quote(c.Q.slice(1)),
          '',
        ].join('\n'),
      };
    }
    default:
      return {
        variant: 'web',
        text: [...withSig(c), '', ...wrap(attr), '', ...quote(c.Q), ''].join('\n'),
        html: `${reply}<br>${gq(`<div dir="ltr">${divs(c.Q)}</div>`)}`,
      };
  }
}

function outlookDesktop(c: Ctx): Built {
  const fwd = c.sc === 'forward';
  const subject = fwd ? `${c.L.forward}: ${c.L.subject}` : undefined;
  const R = fwd ? [c.R[0] ?? ''] : c.R;
  const original = c.sc === 'original' || (c.plain && c.k % 2 === 0);
  const hdr = headerLines(c, { mailto: original, ...(subject ? { subject } : {}) });
  if (c.sc === 'glued') {
    const lines = [...R];
    lines[lines.length - 1] = `${lines[lines.length - 1] ?? ''} ${c.L.original}`;
    return {
      variant: 'plain-text mode',
      text: [...lines, ...headerLines(c, { mailto: true }), '', ...c.Q, ''].join('\n'),
    };
  }
  const text = [...R, '', ...(original ? [c.L.original] : []), ...hdr, '', ...c.Q, ''].join('\n');
  const html =
    `<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">\n` +
    `<head><meta http-equiv=Content-Type content="text/html; charset=utf-8"><meta name=Generator content="Microsoft Word 15 (filtered medium)">\n` +
    `<style><!--\n/* Font Definitions */\n@font-face {font-family:"Cambria Math";}\np.MsoNormal, li.MsoNormal, div.MsoNormal {margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}\n--></style></head>\n` +
    `<body lang=${c.L.lang.toUpperCase()} link="#0563C1" vlink="#954F72" style='word-wrap:break-word'><div class=WordSection1>\n` +
    `${mso(R)}\n<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n` +
    `<div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal>${htmlHeaders(c, true, subject)}<o:p></o:p></p></div></div>\n` +
    `<p class=MsoNormal><o:p>&nbsp;</o:p></p>\n${mso(c.Q)}\n</div></body></html>`;
  return { variant: original ? 'original-message' : 'desktop', text, html };
}

function outlookWeb(c: Ctx): Built {
  const fwd = c.sc === 'forward';
  const subject = fwd ? `${c.L.forward}: ${c.L.subject}` : undefined;
  const R = fwd ? [c.R[0] ?? ''] : c.R;
  if (c.k % 4 === 3 && !fwd) {
    // Hotmail / old Outlook.com: the quote starts at <hr id="stopSpelling"> with a Date-first block.
    const l = c.L.labels;
    const block = [
      `${l.date}${c.L.colon} ${c.L.outlookDate(c.t)}`,
      `${l.from}${c.L.colon} ${c.L.customer.email}`,
      `${l.to}${c.L.colon} ${TEAM.email}`,
      `${l.subject}${c.L.colon} ${c.L.subject}`,
    ];
    return {
      variant: 'hotmail',
      text: [...R, '', ...block, '', ...c.Q, ''].join('\n'),
      html:
        `<html>\n<head>\n<style><!--\n.hmmessage P\n{\nmargin:0px;\npadding:0px\n}\nbody.hmmessage\n{\nfont-size: 12pt;\nfont-family:Calibri\n}\n--></style></head>\n` +
        `<body class='hmmessage'><div dir='ltr'>${R.map(esc).join('<br>')}<br><br><div><hr id="stopSpelling">${block.map(esc).join('<br>')}<br><br>${c.Q.map(esc).join('<br>')}</div></div></body>\n</html>`,
    };
  }
  const text = [
    ...R,
    '',
    '________________________________',
    ...headerLines(c, subject ? { subject } : {}),
    '',
    ...c.Q,
    '',
  ].join('\n');
  const html =
    `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style></head>` +
    `<body dir="ltr"><div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">` +
    `${R.map((l) => (l === '' ? '<br>' : esc(l))).join('<br>')}</div>` +
    `<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">` +
    `<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">${htmlHeaders(c, true, subject)}</font><div>&nbsp;</div></div>` +
    `<div class="x_elementToProof">${divs(c.Q)}</div></body></html>`;
  return { variant: 'web', text, html };
}

function outlookMobile(c: Ctx): Built {
  const android = c.k % 2 === 1;
  const app = android ? c.L.outlookApp.replace('iOS', 'Android') : c.L.outlookApp;
  const link = android ? 'https://aka.ms/AAb9ysg' : 'https://aka.ms/o0ukef';
  const text = [
    ...c.R,
    '',
    `${app}<${link}>`,
    '________________________________',
    ...headerLines(c, {}),
    '',
    ...c.Q,
    '',
  ].join('\n');
  const html =
    `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>` +
    `<div dir="auto">${divs(c.R)}</div><div dir="auto"><br></div>` +
    `<div id="ms-outlook-mobile-signature" dir="auto"><div dir="auto"><a href="${link}">${esc(app)}</a></div></div>` +
    `<div id="mail-editor-reference-message-container" dir="auto"><hr style="display:inline-block;width:98%" tabindex="-1">` +
    `<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">${htmlHeaders(c, true)}</font><div>&nbsp;</div></div>` +
    `<div>${divs(c.Q)}</div></div></body></html>`;
  return { variant: android ? 'android' : 'ios', text, html };
}

const appleHead =
  '<html aria-label="message body"><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>' +
  '<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">';

function appleMail(c: Ctx): Built {
  const attr = c.L.apple(c.t, c.L.customer);
  const cite = (inner: string, a = attr): string =>
    `<div><br><blockquote type="cite"><div>${esc(a)}</div><br class="Apple-interchange-newline"><div><div>${inner}</div></div></blockquote></div>`;
  const replyHtml = c.R.map((l, i) => (i === 0 ? esc(l) : l === '' ? '<div><br></div>' : `<div>${esc(l)}</div>`)).join(
    '',
  );
  // Newer Mail quotes the attribution line in the text part too.
  const attrQuoted = c.k % 2 === 0;
  const textQuote = attrQuoted ? ['> ' + attr, '> ', ...quote(c.Q)] : [attr, '', ...quote(c.Q)];
  switch (c.sc) {
    case 'bottom':
      return {
        variant: 'macos',
        text: [...textQuote, '', ...c.R, ''].join('\n'),
        html: `${appleHead}${cite(divs(c.Q))}<div><br></div>${divs(c.R)}</body></html>`,
      };
    case 'forward': {
      const l = c.L.labels;
      const fh: Array<[string, string]> = [
        [l.from, addr(c.L.customer)],
        [l.subject, c.L.subject],
        [l.date, c.L.outlookDate(c.t)],
        [l.to, addr(TEAM)],
      ];
      return {
        variant: 'macos',
        text: [
          c.R[0] ?? '',
          '',
          c.L.appleForward,
          '',
          ...fh.map(([k, v]) => `${k}${c.L.colon} ${v}`),
          '',
          ...c.Q,
          '',
        ].join('\n'),
        html:
          `${appleHead}${esc(c.R[0] ?? '')}<div><br><blockquote type="cite"><div>${esc(c.L.appleForward)}</div><br class="Apple-interchange-newline">` +
          fh
            .map(
              ([k, v]) =>
                `<div style="margin: 0px;"><span><b>${esc(k)}${esc(c.L.colon)} </b></span><span>${esc(v)}<br></span></div>`,
            )
            .join('') +
          `<br><div><div>${divs(c.Q)}</div></div></blockquote></div><br></body></html>`,
      };
    }
    case 'quoteonly':
      return {
        variant: 'macos',
        text: ['', ...textQuote, ''].join('\n'),
        html: `${appleHead}<br>${cite(divs(c.Q))}<br></body></html>`,
      };
    default:
      return {
        variant: 'macos',
        text: [...c.R, '', ...textQuote, ''].join('\n'),
        html: `${appleHead}${replyHtml}<br id="lineBreakAtBeginningOfSignature">${cite(divs(c.Q))}<br></body></html>`,
      };
  }
}

function ios(c: Ctx): Built {
  const attr = c.L.apple(c.t, c.L.customer);
  const older = c.k % 2 === 1;
  if (c.sc === 'wrapped') {
    return {
      variant: 'iphone',
      text: [
        ...c.R,
        '',
        c.L.iphone,
        '',
        '> ' + attr,
        '> ',
        '> ' + (c.Q[0] ?? ''),
        '> Tracking:',
        'https://track.acme.example/parcel/4821-XJ7?lang=' + c.L.lang,
        ...quote(c.Q.slice(1)),
        '',
      ].join('\n'),
    };
  }
  const text = [...c.R, '', c.L.iphone, '', '> ' + attr, '> ', ...quote(c.Q), ''].join('\n');
  const sig = older
    ? `<div><br><div id="AppleMailSignature" dir="ltr">${esc(c.L.iphone)}</div>`
    : `<div dir="ltr"><br></div><div dir="ltr">${esc(c.L.iphone)}</div><div dir="ltr">`;
  const html =
    `<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">` +
    `<div dir="ltr">${divs(c.R)}</div>${sig}<br><blockquote type="cite">${esc(attr)}<br><br></blockquote></div>` +
    `<blockquote type="cite"><div dir="ltr">${divs(c.Q)}</div></blockquote></body></html>`;
  return { variant: older ? 'iphone-ios12' : 'iphone', text, html };
}

function android(c: Ctx): Built {
  const kind = c.k % 3;
  if (kind === 0) {
    // Gmail for Android; its Russian attribution once read "… пользователь … написал:".
    const attr =
      c.L.lang === 'ru' && c.k % 2 === 0
        ? `${c.t.d} ${c.L.monthsShort[c.t.m - 1]} ${c.t.y} г. ${c.t.hh}:${c.t.mm} пользователь "${c.L.customer.name}" <${c.L.customer.email}> написал:`
        : c.L.gmail(c.t, c.L.customer);
    return {
      variant: 'gmail-android',
      text: [...c.R, '', ...wrap(attr), '', ...quote(c.Q), ''].join('\n'),
      html:
        `<div dir="auto">${divs(c.R)}</div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">${esc(attr)}<br></div>` +
        `<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex"><div dir="ltr">${divs(c.Q)}</div></blockquote></div>`,
    };
  }
  if (kind === 1) {
    const l = c.L.labels;
    const block = [
      c.L.androidOriginal,
      `${l.from}${c.L.colon} ${addr(c.L.customer)} `,
      `${l.date}${c.L.colon} ${c.t.m}/${c.t.d}/${c.t.y - 2000} ${c.t.hh}:${c.t.mm} (GMT+01:00) `,
      `${l.to}${c.L.colon} ${TEAM.email} `,
      `${l.subject}${c.L.colon} ${c.L.subject} `,
    ];
    return {
      variant: 'samsung',
      text: [...c.R, '', '', '', c.L.galaxy, '', '', ...block, '', ...c.Q, ''].join('\n'),
      html:
        `<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body><div dir="auto">${divs(c.R)}</div>` +
        `<div dir="auto"><br></div><div dir="auto"><br></div><div id="composer_signature" dir="auto"><div style="font-size:12px;color:#575757" dir="auto">${esc(c.L.galaxy)}</div></div>` +
        `<div dir="auto"><br></div><div style="font-size:100%;color:#000000"><!-- originalMessage --><div>${block.map((b) => esc(b)).join('</div><div>')}</div><div><br></div></div>` +
        `${divs(c.Q)}</body></html>`,
    };
  }
  // K-9 Mail: plain text, its signature after "-- ", ">" without a space.
  return {
    variant: 'k9',
    text: [
      ...c.R,
      '-- ',
      'Sent from my Android device with K-9 Mail. Please excuse my brevity.',
      '',
      c.L.gmail(c.t, c.L.customer),
      ...quote(c.Q, '>'),
      '',
    ].join('\n'),
  };
}

function thunderbird(c: Ctx): Built {
  const attr = c.L.thunderbird(c.t, c.L.customer);
  const head =
    '<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv="Content-Type" content="text/html; charset=UTF-8">\n  </head>\n  <body>\n';
  const prefix = `    <div class="moz-cite-prefix">${esc(attr)}<br>\n    </div>\n`;
  const bq = (lines: string[]): string =>
    `    <blockquote type="cite" cite="mid:${c.k}.parley@acme.example">${paras(lines)}</blockquote>\n`;
  const sig =
    c.sc === 'dashsig' || c.sc === 'bottom'
      ? `    <pre class="moz-signature" cols="72">-- \n${esc(c.L.agent.name)}\nAcme Support</pre>\n`
      : '';
  const textSig = c.sc === 'dashsig' || c.sc === 'bottom' ? ['', '-- ', c.L.agent.name, 'Acme Support'] : [];
  if (c.sc === 'bottom') {
    return {
      variant: 'bottom-post',
      text: [attr, ...quote(c.Q), '', ...c.R, ...textSig, ''].join('\n'),
      html: `${head}${prefix}${bq(c.Q)}    ${paras(c.R)}\n${sig}  </body>\n</html>`,
    };
  }
  if (c.sc === 'inline') {
    const [a0, a1] = c.L.inline;
    const q = c.Q;
    return {
      variant: 'inline',
      text: [
        attr,
        ...quote([q[0] ?? '']),
        '',
        a0,
        '',
        ...quote([q[1] ?? '']),
        '',
        a1,
        '',
        ...quote([q[2] ?? '']),
        '',
      ].join('\n'),
      html: `${head}${prefix}${bq([q[0] ?? ''])}    <p>${esc(a0)}</p>\n${bq([q[1] ?? ''])}    <p>${esc(a1)}</p>\n${bq([q[2] ?? ''])}  </body>\n</html>`,
    };
  }
  if (c.sc === 'wrapped') {
    return {
      variant: 'top-post',
      text: [
        ...c.R,
        '',
        attr,
        '> ' + (c.Q[0] ?? ''),
        '> Tracking:',
        'https://track.acme.example/parcel/4821-XJ7?lang=' + c.L.lang,
        ...quote(c.Q.slice(1)),
        '',
      ].join('\n'),
    };
  }
  return {
    variant: 'top-post',
    text: [...c.R, ...textSig, '', attr, ...quote(c.Q), ''].join('\n'),
    html: `${head}    ${paras(c.R)}\n${prefix}${bq(c.Q)}${sig}  </body>\n</html>`,
  };
}

const YAHOO_MOBILE: Partial<Record<Lang, string>> = {
  en: 'Sent from Yahoo Mail on Android',
  de: 'Gesendet von Yahoo Mail auf Android',
  fr: 'Envoyé depuis Yahoo Mail pour Android',
  es: 'Enviado desde Yahoo Mail para Android',
  it: 'Inviato da Yahoo Mail su Android',
  pt: 'Enviado do Yahoo Mail para Android',
};

function yahoo(c: Ctx): Built {
  const attr = c.L.yahoo(c.t, c.L.customer);
  const mobile = c.k % 3 === 2 ? YAHOO_MOBILE[c.L.lang] : undefined;
  const text = [
    ...c.R,
    ...(mobile ? ['', mobile] : []),
    '',
    '',
    '',
    `    ${attr}  `,
    ' ',
    ' ',
    ...c.Q.map((l) => ` ${l}`),
    '',
  ].join('\n');
  const html =
    `<html><head></head><body><div class="ydp5a2c9d1ayahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:13px;">` +
    `<div dir="ltr" data-setdir="false">${divs(c.R)}</div>` +
    (mobile
      ? `<div><br></div><div id="ymail_android_signature"><a href="https://go.onelink.me/107872968?pid=InProduct">${esc(mobile)}</a></div>`
      : '') +
    `<div><br></div></div><div id="ydpb1e3a7c9yahoo_quoted_8816450123" class="ydpb1e3a7c9yahoo_quoted">` +
    `<div style="font-family:'Helvetica Neue', Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;"><div>${esc(attr)}</div><div><br></div><div><br></div>` +
    `<div><div id="ydp7f0c2e1dyiv3349916061"><div dir="ltr">${divs(c.Q)}</div></div></div></div></div></body></html>`;
  return { variant: mobile ? 'android' : 'web', text, html };
}

function yandex(c: Ctx): Built {
  const attr = `${String(c.t.d).padStart(2, '0')}.${String(c.t.m).padStart(2, '0')}.${c.t.y}, ${c.t.hh}:${c.t.mm}, "${c.L.customer.name}" <${c.L.customer.email}>:`;
  const mobile = c.sc === 'dashsig' && c.L.lang === 'ru';
  const sigLine = mobile ? 'Отправлено из мобильной Яндекс Почты' : c.L.agent.name;
  const sig = c.sc === 'dashsig' ? ['', '-- ', sigLine] : [];
  return {
    variant: mobile ? 'mobile' : 'web',
    text: [...c.R, ...sig, '', attr, ...quote(c.Q), ''].join('\n'),
    html:
      `<div>${divs(c.R)}</div>` +
      (c.sc === 'dashsig' ? `<div>&nbsp;</div><div>-- </div><div>${esc(sigLine)}</div>` : '') +
      `<div>&nbsp;</div><div>&nbsp;</div><div>${esc(attr)}</div><blockquote>${divs(c.Q)}</blockquote>`,
  };
}

const MAILRU_ATTR: Partial<Record<Lang, (t: D, p: Person) => string>> = {
  ru: (t, p) =>
    `${['Воскресенье', 'Понедельник', 'Вторник', 'Среда', 'Четверг', 'Пятница', 'Суббота'][t.wd]}, ${t.d} ${['января', 'февраля', 'марта', 'апреля', 'мая', 'июня', 'июля', 'августа', 'сентября', 'октября', 'ноября', 'декабря'][t.m - 1]} ${t.y}, ${t.hh}:${t.mm} +03:00 от ${p.name} <${p.email}>:`,
  uk: (t, p) =>
    `${['Неділя', 'Понеділок', 'Вівторок', 'Середа', 'Четвер', 'Пʼятниця', 'Субота'][t.wd]}, ${t.d} ${['січня', 'лютого', 'березня', 'квітня', 'травня', 'червня', 'липня', 'серпня', 'вересня', 'жовтня', 'листопада', 'грудня'][t.m - 1]} ${t.y}, ${t.hh}:${t.mm} +02:00 від ${p.name} <${p.email}>:`,
  en: (t, p) =>
    `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][t.wd]}, ${t.d} ${['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][t.m - 1]} ${t.y} ${t.hh}:${t.mm}:00 +0300 from ${p.name} <${p.email}>:`,
};

function mailru(c: Ctx): Built {
  const attr = (MAILRU_ATTR[c.L.lang] ?? MAILRU_ATTR.en)?.(c.t, c.L.customer) ?? '';
  const R = c.R;
  return {
    variant: 'web',
    text: [...R, '', '--', c.L.agent.name, '', '', attr, '', ...quote(c.Q, '>'), ''].join('\n'),
    html:
      `<HTML><BODY><div>${divs(R)}</div><div>&nbsp;</div><div data-signature-widget="container"><div data-signature-widget="content"><div>--<br>${esc(c.L.agent.name)}</div></div></div>` +
      `<div>&nbsp;</div><div class="mail-quote-collapse">${esc(attr).replace(esc(c.L.customer.email), `<a href="mailto:${c.L.customer.email}">${c.L.customer.email}</a>`)}<br>\n` +
      `<blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;">\n\t<div id="">\n<div class="js-helper js-readmsg-msg">\n\t<style type="text/css"></style>\n \t<div>\n\t\t<base target="_self" href="https://e.mail.ru/">\n` +
      `\t\t<div id="style_17102385000000001020_BODY">${divs(c.Q)}</div>\n\t</div>\n</div>\n</div>\n</blockquote></div></BODY></HTML>`,
  };
}

function windowsMail(c: Ctx): Built {
  const hdrText = headerLines(c, { nameOnly: true });
  const text = [...c.R, '', c.L.windowsMail, '', ...hdrText, '', ...c.Q, ''].join('\n');
  const l = c.L.labels;
  if (c.k % 3 === 2) {
    // Windows 8 Mail: the rule as border-top-* properties, no Subject line in the HTML.
    return {
      variant: 'windows-8',
      text,
      html:
        `<html>\n<head>\n<meta name="generator" content="Windows Mail 17.5.9600.20498">\n<style data-externalstyle="true"><!--\np.MsoNormal {\nmargin:0in;\n}\n--></style></head>\n<body dir="ltr">\n` +
        `<div data-externalstyle="false" dir="ltr" style="font-family: 'Calibri', 'Segoe UI', sans-serif;font-size:12pt;">${divs(c.R)}` +
        `<div data-signatureblock="true"><div><br></div><div><br></div></div>` +
        `<div style="padding-top: 5px; border-top-color: rgb(229, 229, 229); border-top-width: 1px; border-top-style: solid;"><div><font face=" 'Calibri', 'Segoe UI', sans-serif" style='line-height: 15pt; font-size: 12pt;'>` +
        `<b>${esc(l.from)}${esc(c.L.colon)}</b>&nbsp;<a href="mailto:${c.L.customer.email}" target="_parent">${esc(c.L.customer.name)}</a><br><b>${esc(l.sent)}${esc(c.L.colon)}</b>&nbsp;${esc(c.L.outlookDate(c.t))}<br>` +
        `<b>${esc(l.to)}${esc(c.L.colon)}</b>&nbsp;<a href="mailto:${TEAM.email}" target="_parent">${TEAM.name}</a></font></div></div><div><br></div>` +
        `<div dir=""><div dir="ltr">${divs(c.Q)}</div></div></div>\n</body>\n</html>\n`,
    };
  }
  const hdrHtml = headerLines(c, { nameOnly: true })
    .map((h) => {
      const i = h.indexOf(c.L.colon);
      return `<b>${esc(h.slice(0, i + c.L.colon.length))} </b>${esc(h.slice(i + c.L.colon.length + 1))}`;
    })
    .join('<br>');
  return {
    variant: 'windows-10',
    text,
    html:
      `<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40"><head><meta http-equiv=Content-Type content="text/html; charset=utf-8"><meta name=Generator content="Microsoft Word 15 (filtered medium)"></head>` +
      `<body lang=EN-US link=blue vlink="#954F72"><div class=WordSection1>${mso(c.R)}<p class=MsoNormal><o:p>&nbsp;</o:p></p>` +
      `<p class=MsoNormal>${esc(c.L.windowsMail)}</p><p class=MsoNormal><o:p>&nbsp;</o:p></p>` +
      `<div style='mso-element:para-border-div;border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'><p class=MsoNormal style='border:none;padding:0cm'>${hdrHtml}</p></div>` +
      `<p class=MsoNormal><o:p>&nbsp;</o:p></p>${mso(c.Q)}</div></body></html>`,
  };
}

// --- the matrix ----------------------------------------------------------------------------------------------

const CLIENTS: Array<{ client: Client; build: (c: Ctx) => Built; scenarios: Scenario[]; langs?: Lang[] }> = [
  {
    client: 'gmail',
    build: gmail,
    scenarios: [
      'top',
      'signoff',
      'dashsig',
      'bottom',
      'inline',
      'forward',
      'quoteonly',
      'lookalike',
      'glued',
      'wrapped',
    ],
  },
  {
    client: 'outlook-desktop',
    build: outlookDesktop,
    scenarios: ['top', 'signoff', 'forward', 'lookalike', 'original', 'glued'],
  },
  { client: 'outlook-web', build: outlookWeb, scenarios: ['top', 'signoff', 'forward', 'top'] },
  { client: 'outlook-mobile', build: outlookMobile, scenarios: ['top', 'signoff'] },
  { client: 'apple-mail', build: appleMail, scenarios: ['top', 'bottom', 'signoff', 'forward', 'quoteonly'] },
  { client: 'ios', build: ios, scenarios: ['top', 'signoff', 'wrapped', 'lookalike'] },
  { client: 'android', build: android, scenarios: ['top', 'signoff', 'top'] },
  { client: 'thunderbird', build: thunderbird, scenarios: ['bottom', 'inline', 'top', 'dashsig', 'wrapped'] },
  { client: 'yahoo', build: yahoo, scenarios: ['top', 'signoff', 'top'] },
  { client: 'windows-mail', build: windowsMail, scenarios: ['top', 'signoff', 'top'] },
  { client: 'yandex', build: yandex, scenarios: ['top', 'dashsig'], langs: ['ru', 'uk', 'en', 'de'] },
  { client: 'mailru', build: mailru, scenarios: ['top', 'signoff'], langs: ['ru', 'uk', 'en'] },
];

/** Scenarios that exist only in a text part (a client glued or wrapped the text itself). */
const PLAIN_ONLY = new Set<Scenario>(['glued', 'wrapped']);
/** Languages whose Gmail attribution starts with a lead word a glued reply can be split at. */
const GLUE_LEADS = new Set<Lang>(['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'sv', 'da', 'vi']);

function dateFor(i: number): D {
  const day = 1 + ((i * 7) % 27);
  const month = 1 + ((i * 5) % 12);
  const hour = 8 + ((i * 3) % 10);
  const minute = (i * 13) % 60;
  const wd = new Date(Date.UTC(2024, month - 1, day)).getUTCDay();
  const h12 = `${hour > 12 ? hour - 12 : hour}:${String(minute).padStart(2, '0')} ${hour >= 12 ? 'PM' : 'AM'}`;
  return { d: day, m: month, y: 2024, hh: String(hour).padStart(2, '0'), mm: String(minute).padStart(2, '0'), h12, wd };
}

function expectedFor(c: Ctx, visible: string[]): Expected {
  const nonBlank = (xs: string[]): string[] => xs.filter((x) => x.trim() !== '');
  switch (c.sc) {
    case 'bottom':
      return { includes: [...nonBlank(c.R), c.Q[0] ?? ''], excludes: ['Acme Support'] };
    case 'inline':
      return { includes: [c.L.inline[0], c.L.inline[1], c.Q[0] ?? '', c.Q[1] ?? ''], excludes: [c.Q[2] ?? ''] };
    case 'forward':
      return { includes: [c.R[0] ?? '', ...nonBlank(c.Q)] };
    case 'quoteonly':
      return { includes: nonBlank(c.Q) };
    default:
      return { equals: visible.join('\n') };
  }
}

const MAILERS: Record<Client, (k: number) => Array<[string, string]>> = {
  gmail: () => [],
  'outlook-desktop': () => [
    ['X-Mailer', 'Microsoft Outlook 16.0'],
    ['Thread-Index', 'AQHadF2kQ0pVbN3sT0uYc1hHqV4J8g=='],
    ['Content-Language', 'en-us'],
  ],
  'outlook-web': () => [
    ['X-MS-Has-Attach', ''],
    ['X-MS-TNEF-Correlator', ''],
    ['msip_labels', ''],
  ],
  'outlook-mobile': () => [
    ['X-MS-Has-Attach', ''],
    ['X-MS-Exchange-Organization-SCL', '1'],
  ],
  'apple-mail': () => [['X-Mailer', 'Apple Mail (2.3774.400.31)']],
  ios: () => [['X-Mailer', 'iPhone Mail (21D61)']],
  android: (k) => (k % 3 === 2 ? [['User-Agent', 'K-9 Mail for Android']] : []),
  thunderbird: () => [
    ['User-Agent', 'Mozilla Thunderbird'],
    ['Content-Language', 'en-US'],
  ],
  yahoo: () => [['X-Mailer', 'WebService/1.1.22321 YMailNorrin']],
  yandex: () => [['X-Mailer', 'Yamail [ http://yandex.ru ] 5.0']],
  mailru: () => [['X-Mailer', 'Mail.Ru Mailer 1.0']],
  'windows-mail': () => [['X-Mailer', 'Microsoft Windows Mail 16.0']],
};

function boundary(client: Client, n: number): string {
  const hex = (n * 2654435761).toString(16).padStart(8, '0').slice(-8);
  switch (client) {
    case 'gmail':
    case 'android':
      return `000000000000${hex}0613a1e2`;
    case 'outlook-desktop':
    case 'windows-mail':
      return `----=_NextPart_000_00${hex.slice(0, 2)}_01DA7456.${hex.toUpperCase()}`;
    case 'outlook-web':
    case 'outlook-mobile':
      return `_000_AM0PR07MB${hex.toUpperCase()}eurprd07prodoutlo_`;
    case 'apple-mail':
    case 'ios':
      return `Apple-Mail=_${hex.toUpperCase()}-6A2B-4C1D-9E3F-${hex.toUpperCase()}ABCD`;
    case 'thunderbird':
      return `------------${hex}${hex.slice(0, 4)}Z0a9Vd`;
    case 'yahoo':
      return `----=_Part_${n}_${hex}.1710238500123`;
    default:
      return `--=_mailer_${hex}`;
  }
}

const ENCODING: Record<Client, MimeMessage['encoding']> = {
  gmail: 'quoted-printable',
  'outlook-desktop': 'quoted-printable',
  'outlook-web': 'quoted-printable',
  'outlook-mobile': 'base64',
  'apple-mail': 'quoted-printable',
  ios: 'quoted-printable',
  android: 'base64',
  thunderbird: '8bit',
  yahoo: 'quoted-printable',
  yandex: 'base64',
  mailru: 'base64',
  'windows-mail': 'quoted-printable',
};

export function generate(): Array<{ entry: CorpusEntry; eml: string }> {
  const out: Array<{ entry: CorpusEntry; eml: string }> = [];
  let n = 0;
  locales.forEach((L, li) => {
    CLIENTS.forEach(({ client, build, scenarios, langs }, ci) => {
      if (langs && !langs.includes(L.lang)) return;
      const k = li + ci;
      let sc = scenarios[k % scenarios.length] ?? 'top';
      if (sc === 'glued' && client === 'gmail' && !GLUE_LEADS.has(L.lang)) sc = 'top';
      const plain = PLAIN_ONLY.has(sc) || (client === 'android' && k % 3 === 2) || k % 4 === 0;
      const R0 = L.replies[k % L.replies.length] ?? [];
      const Q = (sc === 'inline' ? L.questions[0] : L.questions[k % L.questions.length]) ?? [];
      let R = R0;
      if (sc === 'signoff') R = [...R0, '', ...L.signoff];
      if (sc === 'lookalike') {
        const l = L.labels;
        const [a, b, when] = L.lookalike;
        R = [...R0, '', `${l.from}${L.colon} ${a}`, `${l.to}${L.colon} ${b}`, `${l.date}${L.colon} ${when}`];
      }
      const t = dateFor(n);
      const c: Ctx = { L, t, sc, R, Q, k, plain };
      const built = build(c);
      const html = plain ? undefined : built.html;
      const text = built.text;
      n++;
      const file = `${String(n).padStart(3, '0')}-${client}-${L.lang}-${sc}.eml`;
      const date = new Date(Date.UTC(t.y, t.m - 1, t.d, Number(t.hh) + 1, Number(t.mm)));
      const headers: Array<[string, string]> = [
        ['Date', date.toUTCString().replace('GMT', '+0000')],
        ['From', mailbox(L.agent.name, L.agent.email)],
        ['To', `support+c${String(n).padStart(4, '0')}abcdef@acme.example`],
        [
          'Subject',
          encodeWord(`${sc === 'forward' ? L.forward : client.startsWith('outlook') ? L.reply : 'Re'}: ${L.subject}`),
        ],
        ['Message-ID', `<${client}.${n}.${L.lang}@mail.example>`],
        ['In-Reply-To', `<parley.t${n}.mac.e1@acme.example>`],
        ['References', `<parley.t${n}.root@acme.example> <parley.t${n}.mac.e1@acme.example>`],
        ...MAILERS[client](k),
      ];
      const eml = buildMime({
        headers,
        ...(text !== undefined ? { text } : {}),
        ...(html !== undefined ? { html } : {}),
        boundary: boundary(client, n),
        encoding: ENCODING[client],
        ...(client === 'thunderbird' ? { textParams: '; format=flowed' } : {}),
      });
      out.push({
        entry: {
          file,
          client,
          variant: built.variant,
          lang: L.lang,
          format: html !== undefined ? 'html' : 'plain',
          scenario: sc,
          expected: expectedFor(c, R),
        },
        eml,
      });
    });
  });
  return out;
}

async function main(): Promise<void> {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.mkdirSync(OUT, { recursive: true });
  const cases = generate();
  for (const { entry, eml } of cases) fs.writeFileSync(path.join(OUT, entry.file), eml);
  const file = path.join(OUT, 'cases.json');
  // Formatted as `npm run lint` wants it.
  const options = (await prettier.resolveConfig(file)) ?? {};
  const json = await prettier.format(JSON.stringify(cases.map((c) => c.entry)), { ...options, filepath: file });
  fs.writeFileSync(file, json);
  console.log(`${cases.length} cases written to ${path.relative(process.cwd(), OUT)}`);
}

if (require.main === module) void main();
