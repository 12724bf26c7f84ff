/**
 * What a reply's quoted history and signature look like, by kind, in the languages mail clients are localised in.
 * Each kind is one list of words; extract.ts builds the line tests from them. To add a locale, add its words to
 * each kind (docs/integrations/email.md, "Reply extraction", says how) and a corpus case in its language.
 *
 * Every pattern here is tested only on lines of at most MAX_RULE_LINE characters and has no nested quantifiers,
 * so a test is linear in the line.
 */

/** Longest line the rules look at: a header, an "On … wrote:" line or a device signature is never longer. */
export const MAX_RULE_LINE = 1_000;

const alt = (words: readonly string[]): string =>
  words
    .map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '\\s+'))
    .sort((a, b) => b.length - a.length)
    .join('|');

/**
 * The verb of an attribution line ("On Mon, Ann wrote:", "Am … schrieb Ann <…>:"), any locale. Matched anywhere
 * in the line: clients glue it to the address (`<ann@example.com>wrote:`) and some put the name after it.
 */
const WROTE_WORDS = [
  'wrote', // en
  'writes',
  'schrieb', // de
  'geschrieben', // nl "het volgende geschreven", de "hat geschrieben"
  'a écrit', // fr
  'a ecrit',
  'escribió', // es
  'escribio',
  'ha escrito',
  'ha scritto', // it
  'scrisse',
  'escreveu', // pt
  'schreef', // nl
  'skrev', // sv, da, no
  'skriver',
  'napisał(a)', // pl
  'napisała',
  'napisał',
  'napisal',
  'pisze',
  'написал(а)', // ru
  'написала',
  'написал',
  'пишет',
  'написав(ла)', // uk
  'написав',
  'пише',
  'đã viết', // vi
  'viết',
  'さんは書きました', // ja
  '書きました',
  'のメール',
  '写道', // zh
  '寫道',
  'kirjoitti', // fi
  'írta', // hu
  'yazdı', // tr
  'napsal', // cs
];
export const WROTE = new RegExp(`(?:${alt(WROTE_WORDS)})(?!\\p{L})`, 'iu');

/** How attribution lines start in each locale ("On", "Am", "Le", "El", "Il giorno", "W dniu", "Vào", "在" …). */
const LEAD_WORDS = [
  'On',
  'Am',
  'Le',
  'El',
  'Il',
  'Il giorno',
  'Em',
  'Às',
  'No dia',
  'Op',
  'Den',
  'På',
  'W dniu',
  'Dnia',
  'В',
  'Vào',
  '在',
  'El día',
];
export const LEAD = new RegExp(`^\\s*(?:${alt(LEAD_WORDS)})\\s`, 'u');
/** A lead word after the end of a sentence: where a reply glued to its attribution line is split. */
export const GLUED_LEAD = new RegExp(`[.!?)]\\s{0,3}(?=(?:${alt(LEAD_WORDS)})\\s)`, 'gu');

/** Header labels of a quoted message's header block (Outlook and friends), by field, any locale. */
const FROM_LABELS = [
  'From',
  'Von',
  'De',
  'Da',
  'Fra',
  'Från',
  'Van',
  'Od',
  'От',
  'Від',
  'Từ',
  '差出人',
  '送信者',
  '发件人',
  '發件人',
  '寄件者',
  '寄件人',
  'Lähettäjä',
  'Feladó',
  'Kimden',
  'Afzender',
  'Expéditeur',
  'Remitente',
  'Mittente',
  'Remetente',
  'Avsändare',
  'Nadawca',
];
const DATE_LABELS = [
  'Sent',
  'Date',
  'Gesendet',
  'Datum',
  'Envoyé',
  'Envoye',
  'Enviado',
  'Enviada',
  'Enviado el',
  'Enviada em',
  'Fecha',
  'Inviato',
  'Data',
  'Verzonden',
  'Verstuurd',
  'Skickat',
  'Sendt',
  'Dato',
  'Wysłano',
  'Wysłane',
  'Отправлено',
  'Отправлено',
  'Дата',
  'Надіслано',
  'Đã gửi',
  'Ngày',
  'Ngày gửi',
  '送信日時',
  '日付',
  '日時',
  '发送时间',
  '發送時間',
  '寄件日期',
  '日期',
  '时间',
  '時間',
  'Lähetetty',
  'Päivämäärä',
  'Elküldve',
  'Dátum',
  'Tarih',
];
const TO_LABELS = [
  'To',
  'An',
  'À',
  'A',
  'Para',
  'Aan',
  'Till',
  'Til',
  'Do',
  'Кому',
  'Đến',
  'Tới',
  'Gửi',
  '宛先',
  '收件人',
  '收件者',
  'Vastaanottaja',
  'Címzett',
  'Kime',
  'Cc',
  'Bcc',
  'Kopia',
  'Kopi',
  'Kopie',
  'Копия',
  'Копія',
  'DW',
  'CC',
  '抄送',
  '副本',
  'Reply-To',
  'Antwort an',
  'Répondre à',
];
const SUBJECT_LABELS = [
  'Subject',
  'Betreff',
  'Objet',
  'Asunto',
  'Oggetto',
  'Assunto',
  'Onderwerp',
  'Ämne',
  'Emne',
  'Temat',
  'Тема',
  'Chủ đề',
  '件名',
  '主题',
  '主題',
  '主旨',
  'Aihe',
  'Tárgy',
  'Konu',
];
export type HeaderKind = 'from' | 'date' | 'to' | 'subject';
const LABEL_KINDS = new Map<string, HeaderKind>();
for (const [kind, words] of [
  ['to', TO_LABELS],
  ['subject', SUBJECT_LABELS],
  ['date', DATE_LABELS],
  ['from', FROM_LABELS],
] as const)
  for (const w of words) LABEL_KINDS.set(w.toLowerCase(), kind);

/**
 * The field of a header line (`From: …`, `*From:*`, `De :`, `发件人：`), or undefined: the text before the first
 * colon, looked up in the label lists (one map lookup, so every line can be asked).
 */
export function headerKind(line: string): HeaderKind | undefined {
  let colon = -1;
  for (let k = 0; k < line.length && k < 40; k++) {
    const c = line.charCodeAt(k);
    if (c === 58 || c === 0xff1a) {
      colon = k;
      break;
    }
  }
  if (colon <= 0) return undefined;
  const name = line
    .slice(0, colon)
    .replace(/^[\s*]+|[\s*]+$/g, '')
    .replace(/\s+/g, ' ')
    .toLowerCase();
  return LABEL_KINDS.get(name);
}

/** A subject that says the quoted message was forwarded on purpose: `FW:`, `Fwd:`, `WG:`, `TR:`, `RV:` … */
export const FORWARD_SUBJECT =
  /[:：]\s*[*]{0,2}\s*(?:fwd?|wg|tr|rv|enc|i|doorst|vs|vb|vl|pd|пересл|fw|转发|轉寄)\s*:/iu;

/** Words of a separator line that starts the original message: `-----Original Message-----` and its kin. */
const ORIGINAL_WORDS = [
  'Original Message',
  'Original',
  'Reply Message',
  'Ursprüngliche Nachricht',
  'Originalnachricht',
  "Message d'origine",
  'Message original',
  'Mensaje original',
  'Mensaje de origen',
  'Messaggio originale',
  'Messaggio di origine',
  'Mensagem original',
  'Mensagem de origem',
  'Oorspronkelijk bericht',
  'Origineel bericht',
  'Oorspronkelijk',
  'Ursprungligt meddelande',
  'Originalmeddelande',
  'Oprindelig meddelelse',
  'Opprinnelig melding',
  'Original melding',
  'Oryginalna wiadomość',
  'Wiadomość oryginalna',
  'Исходное сообщение',
  'Оригинальное сообщение',
  'Исходное письмо',
  'Оригінальне повідомлення',
  'Вихідне повідомлення',
  'Початкове повідомлення',
  'Thư gốc',
  'Tin nhắn gốc',
  '元のメッセージ',
  'オリジナルメッセージ',
  '原始邮件',
  '原始郵件',
  '原邮件',
  'Alkuperäinen viesti',
  'Eredeti üzenet',
];
export const ORIGINAL_SEPARATOR = new RegExp(
  `^\\s*[-_=*]{2,}\\s{0,3}(?:${alt(ORIGINAL_WORDS)})\\s{0,3}[-_=*]{2,}\\s*$`,
  'iu',
);
/** Any `---- words ----` line: a separator in a locale not listed, trusted when a header block follows it. */
export const DASHED_PHRASE = /^\s*[-_=*]{2,}\s{0,3}[^-_=*\s][^-_=*]{0,60}[-_=*]{2,}\s*$/u;
/** A rule line: Outlook's row of underscores, a row of dashes or of equals signs. */
export const RULE = /^\s*(?:-{5,}|_{5,}|={5,}|\u2014{3,}|\u2500{3,})\s*$/u;

/** A forwarded message's separator ("---------- Forwarded message ---------", "Begin forwarded message:" …). */
const FORWARD_STEMS = [
  'forward',
  'weitergeleitet',
  'transféré',
  'transfere',
  'réexpédié',
  'reexpedie',
  'réenvoyé',
  'reenviad',
  'inoltrat',
  'encaminhad',
  'reencaminhad',
  'doorgestuurd',
  'vidarebefordra',
  'videresend',
  'przekazan',
  'пересыла',
  'переслан',
  'переадресован',
  'пересила',
  'пересилан',
  'chuyển tiếp',
  '転送',
  '转发',
  '轉寄',
  '轉發',
];
const FORWARD_STEM = new RegExp(`(?:${alt(FORWARD_STEMS)})`, 'iu');
export function isForwardSeparator(line: string): boolean {
  if (line.length > 120) return false;
  const t = line.trim();
  // Dashed ("---------- Forwarded message ---------") or a short line ending in a colon ("Begin forwarded message:").
  const shape = /^[-_=*]{2,}/.test(t) || (/[:：]$/.test(t) && t.length <= 80);
  return shape && FORWARD_STEM.test(t);
}

/**
 * Device and client signatures: a short line that says it was sent from a device or app. Kinds: a sending verb at
 * the start (Sent from, Envoyé de, Von meinem … gesendet, Enviado desde, Отправлено с …) with a device or app word;
 * the Japanese and Chinese forms where the verb comes last or first; Outlook's "Get Outlook for iOS" in any locale.
 */
const SENT_VERBS = [
  'Sent',
  'Envoyé',
  'Envoye',
  'Gesendet',
  'Enviado',
  'Enviada',
  'Inviato',
  'Inviata',
  'Verzonden',
  'Verstuurd',
  'Skickat',
  'Skickades',
  'Sendt',
  'Wysłane',
  'Wysłano',
  'Отправлено',
  'Надіслано',
  'Được gửi',
  'Gửi',
  'Lähetetty',
  'Küldve',
  'Gönderildi',
  'Odesláno',
];
const DEVICE_WORDS = [
  'iPhone',
  'iPad',
  'iPod',
  'Apple Watch',
  'Android',
  'Galaxy',
  'Samsung',
  'Huawei',
  'Xiaomi',
  'Pixel',
  'BlackBerry',
  'Nokia',
  'mobile',
  'Mobil',
  'móvil',
  'movil',
  'cellulare',
  'celular',
  'telemóvel',
  'smartphone',
  'telefon',
  'telefoon',
  'телефон',
  'tablet',
  'Outlook',
  'Mail',
  'Courrier',
  'Correo',
  'Posta',
  'Poczt',
  'E-post',
  'Почт',
  'Пошт',
  'K-9',
  'Yahoo',
  'Gmail',
  'Windows',
  'Proton',
  'FairEmail',
  'Spark',
  'AquaMail',
  'Yandex',
  'Яндекс',
  'Mail.ru',
  'app',
  'appli',
  'aplicación',
  'applicazione',
  'aplicativo',
  'приложени',
  'застосун',
  'device',
  'Gerät',
  'appareil',
  'dispositivo',
  'apparaat',
  'enhet',
  'enhed',
  'urządzen',
  'устройств',
  'пристро',
  'thiết bị',
  'điện thoại',
];
// The verb and a preposition ("Sent from", "Envoyé de", "Enviado desde", "Отправлено с"), so "Sent the app to
// review" stays a sentence; German puts the verb last ("Von meinem iPhone gesendet").
const SENT_PREPOSITIONS = [
  'from',
  'with',
  'via',
  'using',
  'on',
  'by',
  'de',
  'depuis',
  'à partir de',
  'a partir de',
  'desde',
  'da',
  'dal',
  'dalla',
  'dallo',
  'do',
  'pelo',
  'vanaf',
  'vanuit',
  'met',
  'från',
  'med',
  'fra',
  'z',
  'ze',
  'с',
  'со',
  'из',
  'з',
  'із',
  'từ',
  'bằng',
  'von',
  'mit',
  'über',
  'aus',
  'lähettäjä',
];
const SENT_DEVICE = new RegExp(
  `^(?:(?:${alt(SENT_VERBS)})\\s+(?:${alt(SENT_PREPOSITIONS)})\\s[^,;!?]{0,70}?(?:${alt(DEVICE_WORDS)})|von\\s[^,;!?]{0,50}?(?:${alt(DEVICE_WORDS)})[^,;!?]{0,40}gesendet)`,
  'iu',
);
// Japanese puts the verb last ("iPhoneから送信"), Chinese first ("发自我的iPhone", "从 Windows 版邮件发送").
const CJK_DEVICE =
  /^(?:.{1,30}から送信|(?:发自|發自|来自|來自|寄自)我的.{1,24}|(?:从|從)\s?.{1,24}?(?:发送|傳送|發送))$/u;
const OUTLOOK_APP = /outlook.{0,40}(?:ios|android)|(?:ios|android)\s?版\s?outlook/iu;
/** Text that follows a device line on the same line: "Please excuse my brevity.", "Typos courtesy of …". */
const DEVICE_TAIL = /^[^<>]{0,80}$/u;

export function isDeviceSignature(line: string): boolean {
  if (line.length > 400) return false;
  // Outlook appends the link: "Get Outlook for iOS<https://aka.ms/o0ukef>".
  const t = line
    .replace(/<https?:\/\/[^>\s]{1,300}>/g, '')
    .replace(/\[https?:\/\/[^\]\s]{1,300}\]/g, '')
    .trim();
  if (t.length === 0 || t.length > 120) return false;
  if (OUTLOOK_APP.test(t) && t.length <= 60) return true;
  if (CJK_DEVICE.test(t)) return true;
  // "Sent from my desk, is much easier …" is a sentence: the device part must end the first sentence.
  const stop = t.search(/[.!。](?:\s|$)/u);
  const first = stop === -1 ? t : t.slice(0, stop);
  if (/[,;?]/.test(first) || first.length > 80) return false;
  return SENT_DEVICE.test(first) && DEVICE_TAIL.test(t.slice(first.length));
}
