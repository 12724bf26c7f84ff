/**
 * Words, names and dates of the reply corpus (scripts/email-replies/generate.ts), one entry per language: what each
 * client writes in that locale ("On … wrote:", header labels, separators, device lines) and what people write
 * (answers, questions, sign-offs). Written from the clients' own localisations; the extraction does not import it.
 */

export type Lang =
  'en' | 'de' | 'fr' | 'es' | 'it' | 'pt' | 'nl' | 'sv' | 'da' | 'no' | 'pl' | 'ru' | 'uk' | 'vi' | 'ja' | 'zh';

/** A date as the templates need it. */
export interface D {
  d: number;
  m: number;
  y: number;
  hh: string;
  mm: string;
  /** 12-hour clock with AM/PM, as English clients write it. */
  h12: string;
  wd: number;
}

export interface Person {
  name: string;
  email: string;
}

export interface Locale {
  lang: Lang;
  agent: Person;
  customer: Person;
  subject: string;
  /** Answers, each a list of lines ('' a blank line). */
  replies: string[][];
  /** The customer's messages being answered. */
  questions: string[][];
  /** Short inline answers, for the inline-reply cases. */
  inline: [string, string];
  signoff: string[];
  months: string[];
  monthsShort: string[];
  weekdays: string[];
  weekdaysShort: string[];
  gmail: (t: D, p: Person) => string;
  apple: (t: D, p: Person) => string;
  thunderbird: (t: D, p: Person) => string;
  yahoo: (t: D, p: Person) => string;
  labels: { from: string; sent: string; date: string; to: string; cc: string; subject: string };
  /** French puts a space before the colon. */
  colon: string;
  outlookDate: (t: D) => string;
  original: string;
  androidOriginal: string;
  forwarded: string;
  appleForward: string;
  reply: string;
  forward: string;
  iphone: string;
  galaxy: string;
  outlookApp: string;
  windowsMail: string;
  /** Places and a day for a reply that merely looks like a header block. */
  lookalike: [string, string, string];
}

const p2 = (n: number): string => String(n).padStart(2, '0');
const addr = (p: Person): string => `${p.name} <${p.email}>`;

export const locales: Locale[] = [
  {
    lang: 'en',
    agent: { name: 'Ana Lima', email: 'ana.lima@acme-support.com' },
    customer: { name: 'Peter Walsh', email: 'peter.walsh@example.com' },
    subject: 'Order 4821 has not arrived',
    replies: [
      ['Hi Peter,', '', 'I checked with the courier: your parcel is in the Leeds depot and goes out tomorrow.'],
      ['Thanks for waiting. The refund of £34.90 is on its way and should show in 3 to 5 days.'],
      ['Hello again,', '', 'The replacement ships today. You will get the tracking link by mail tonight.'],
      ['Yes, the size M is back in stock. I reserved one for you until Friday.'],
    ],
    questions: [
      ['Hello,', 'I ordered a jacket two weeks ago and nothing has arrived yet.', 'Can you check?'],
      ['Could you refund the second item? It was damaged when it arrived.'],
      ['Is the blue one available in size M?', 'Thanks, Peter'],
    ],
    inline: ['Yes, to the same address.', 'No extra cost, it is on us.'],
    signoff: ['Best regards,', 'Ana'],
    months: [
      'January',
      'February',
      'March',
      'April',
      'May',
      'June',
      'July',
      'August',
      'September',
      'October',
      'November',
      'December',
    ],
    monthsShort: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'],
    weekdays: ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'],
    weekdaysShort: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'],
    gmail: (t, p) =>
      `On ${en.weekdaysShort[t.wd]}, ${en.monthsShort[t.m - 1]} ${t.d}, ${t.y} at ${t.h12} ${addr(p)} wrote:`,
    apple: (t, p) => `On ${en.monthsShort[t.m - 1]} ${t.d}, ${t.y}, at ${t.hh}:${t.mm}, ${addr(p)} wrote:`,
    thunderbird: (t, p) => `On ${t.m}/${t.d}/${t.y - 2000} ${t.h12}, ${p.name} wrote:`,
    yahoo: (t, p) =>
      `On ${en.weekdays[t.wd]}, ${en.months[t.m - 1]} ${t.d}, ${t.y} at ${t.hh}:${t.mm}:00 AM GMT+1, ${addr(p)} wrote:`,
    labels: { from: 'From', sent: 'Sent', date: 'Date', to: 'To', cc: 'Cc', subject: 'Subject' },
    colon: ':',
    outlookDate: (t) => `${en.weekdays[t.wd]}, ${en.months[t.m - 1]} ${t.d}, ${t.y} ${t.h12}`,
    original: '-----Original Message-----',
    androidOriginal: '-------- Original message --------',
    forwarded: '---------- Forwarded message ---------',
    appleForward: 'Begin forwarded message:',
    reply: 'RE',
    forward: 'FW',
    iphone: 'Sent from my iPhone',
    galaxy: 'Sent from my Galaxy',
    outlookApp: 'Get Outlook for iOS',
    windowsMail: 'Sent from Mail for Windows',
    lookalike: ['Leeds', 'Manchester', 'Friday'],
  },
  {
    lang: 'de',
    agent: { name: 'Jonas Becker', email: 'jonas.becker@acme-support.de' },
    customer: { name: 'Sabine Krüger', email: 'sabine.krueger@example.de' },
    subject: 'Rechnung 2024-117 doppelt abgebucht',
    replies: [
      ['Hallo Frau Krüger,', '', 'die doppelte Abbuchung haben wir storniert. Das Geld ist in zwei Werktagen zurück.'],
      ['Guten Tag,', 'ich habe Ihnen die korrigierte Rechnung als PDF angehängt.'],
      ['Danke für den Hinweis! Der Fehler im Kundenportal ist behoben.'],
      ['Ja, die Lieferung kann auch an Ihre Büroadresse gehen. Ich habe das geändert.'],
    ],
    questions: [
      ['Guten Tag,', 'mir wurde die Rechnung 2024-117 zweimal abgebucht.', 'Bitte prüfen Sie das.'],
      ['Können Sie mir die Rechnung noch einmal schicken? Die Adresse war falsch.'],
      ['Hallo, im Kundenportal sehe ich keine Bestellungen mehr. Ist das ein Fehler?'],
    ],
    inline: ['Ja, an dieselbe Adresse.', 'Nein, das kostet nichts extra.'],
    signoff: ['Viele Grüße', 'Jonas Becker'],
    months: [
      'Januar',
      'Februar',
      'März',
      'April',
      'Mai',
      'Juni',
      'Juli',
      'August',
      'September',
      'Oktober',
      'November',
      'Dezember',
    ],
    monthsShort: ['Jan.', 'Feb.', 'März', 'Apr.', 'Mai', 'Juni', 'Juli', 'Aug.', 'Sept.', 'Okt.', 'Nov.', 'Dez.'],
    weekdays: ['Sonntag', 'Montag', 'Dienstag', 'Mittwoch', 'Donnerstag', 'Freitag', 'Samstag'],
    weekdaysShort: ['So.', 'Mo.', 'Di.', 'Mi.', 'Do.', 'Fr.', 'Sa.'],
    gmail: (t, p) =>
      `Am ${de.weekdaysShort[t.wd]}, ${t.d}. ${de.monthsShort[t.m - 1]} ${t.y} um ${t.hh}:${t.mm} Uhr schrieb ${addr(p)}:`,
    apple: (t, p) => `Am ${t.d}.${p2(t.m)}.${t.y} um ${t.hh}:${t.mm} schrieb ${addr(p)}:`,
    thunderbird: (t, p) => `Am ${p2(t.d)}.${p2(t.m)}.${t.y} um ${t.hh}:${t.mm} schrieb ${p.name}:`,
    yahoo: (t, p) =>
      `Am ${de.weekdays[t.wd]}, ${t.d}. ${de.months[t.m - 1]} ${t.y} um ${t.hh}:${t.mm}:00 MEZ hat ${addr(p)} Folgendes geschrieben:`,
    labels: { from: 'Von', sent: 'Gesendet', date: 'Datum', to: 'An', cc: 'Cc', subject: 'Betreff' },
    colon: ':',
    outlookDate: (t) => `${de.weekdays[t.wd]}, ${t.d}. ${de.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Ursprüngliche Nachricht-----',
    androidOriginal: '-------- Originalnachricht --------',
    forwarded: '---------- Weitergeleitete Nachricht ---------',
    appleForward: 'Anfang der weitergeleiteten Nachricht:',
    reply: 'AW',
    forward: 'WG',
    iphone: 'Von meinem iPhone gesendet',
    galaxy: 'Von meinem Galaxy gesendet',
    outlookApp: 'Outlook für iOS beziehen',
    windowsMail: 'Von Mail für Windows gesendet',
    lookalike: ['Leipzig', 'Hamburg', 'Freitag'],
  },
  {
    lang: 'fr',
    agent: { name: 'Camille Laurent', email: 'camille.laurent@acme-support.fr' },
    customer: { name: 'Julien Moreau', email: 'julien.moreau@example.fr' },
    subject: 'Problème de connexion à mon compte',
    replies: [
      ['Bonjour Julien,', '', 'Votre mot de passe a été réinitialisé. Vous pouvez vous reconnecter dès maintenant.'],
      ['Merci pour votre patience. Le colis a été remis au transporteur ce matin.'],
      ['Bonjour,', "c'est corrigé : l'application affiche à nouveau vos commandes."],
      ["Oui, l'échange est possible jusqu'au 30 avril. Je vous envoie l'étiquette."],
    ],
    questions: [
      ['Bonjour,', "je n'arrive plus à me connecter depuis hier soir.", 'Pouvez-vous m’aider ?'],
      ['Mon colis est marqué expédié mais le suivi ne bouge pas. Que se passe-t-il ?'],
      ["Est-il possible d'échanger la taille ? Merci d'avance, Julien"],
    ],
    inline: ['Oui, à la même adresse.', 'Non, sans frais supplémentaires.'],
    signoff: ['Cordialement,', 'Camille'],
    months: [
      'janvier',
      'février',
      'mars',
      'avril',
      'mai',
      'juin',
      'juillet',
      'août',
      'septembre',
      'octobre',
      'novembre',
      'décembre',
    ],
    monthsShort: ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.', 'oct.', 'nov.', 'déc.'],
    weekdays: ['dimanche', 'lundi', 'mardi', 'mercredi', 'jeudi', 'vendredi', 'samedi'],
    weekdaysShort: ['dim.', 'lun.', 'mar.', 'mer.', 'jeu.', 'ven.', 'sam.'],
    gmail: (t, p) =>
      `Le ${fr.weekdaysShort[t.wd]} ${t.d} ${fr.monthsShort[t.m - 1]} ${t.y} à ${t.hh}:${t.mm}, ${addr(p)} a écrit :`,
    apple: (t, p) => `Le ${t.d} ${fr.months[t.m - 1]} ${t.y} à ${t.hh}:${t.mm}, ${addr(p)} a écrit :`,
    thunderbird: (t, p) => `Le ${p2(t.d)}/${p2(t.m)}/${t.y} à ${t.hh}:${t.mm}, ${p.name} a écrit :`,
    yahoo: (t, p) =>
      `Le ${fr.weekdays[t.wd]} ${t.d} ${fr.months[t.m - 1]} ${t.y} à ${t.hh}:${t.mm}:00 UTC+1, ${addr(p)} a écrit :`,
    labels: { from: 'De', sent: 'Envoyé', date: 'Date', to: 'À', cc: 'Cc', subject: 'Objet' },
    colon: ' :',
    outlookDate: (t) => `${fr.weekdays[t.wd]} ${t.d} ${fr.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: "-----Message d'origine-----",
    androidOriginal: "-------- Message d'origine --------",
    forwarded: '---------- Message transféré ---------',
    appleForward: 'Début du message réexpédié :',
    reply: 'RE',
    forward: 'TR',
    iphone: 'Envoyé de mon iPhone',
    galaxy: 'Envoyé depuis mon Galaxy',
    outlookApp: 'Obtenir Outlook pour iOS',
    windowsMail: 'Envoyé à partir de Courrier pour Windows',
    lookalike: ['Lyon', 'Bordeaux', 'vendredi'],
  },
  {
    lang: 'es',
    agent: { name: 'Lucía Fernández', email: 'lucia.fernandez@acme-soporte.es' },
    customer: { name: 'Carlos Ruiz', email: 'carlos.ruiz@example.es' },
    subject: 'Cambio de dirección de envío',
    replies: [
      ['Hola Carlos,', '', 'ya he cambiado la dirección de envío. El pedido sale mañana por la mañana.'],
      ['Gracias por avisarnos. Hemos reenviado la factura a su correo.'],
      ['Buenos días,', 'el reembolso está aprobado y lo verá en su cuenta en unos días.'],
      ['Sí, puede recogerlo en la tienda de Valencia a partir del jueves.'],
    ],
    questions: [
      ['Hola,', 'me he mudado y necesito cambiar la dirección del pedido 3390.', '¿Es posible?'],
      ['No he recibido la factura del mes pasado. ¿Me la pueden enviar?'],
      ['¿Puedo recoger el pedido en tienda? Gracias, Carlos'],
    ],
    inline: ['Sí, a la misma dirección.', 'No, no tiene coste adicional.'],
    signoff: ['Saludos,', 'Lucía'],
    months: [
      'enero',
      'febrero',
      'marzo',
      'abril',
      'mayo',
      'junio',
      'julio',
      'agosto',
      'septiembre',
      'octubre',
      'noviembre',
      'diciembre',
    ],
    monthsShort: ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sept', 'oct', 'nov', 'dic'],
    weekdays: ['domingo', 'lunes', 'martes', 'miércoles', 'jueves', 'viernes', 'sábado'],
    weekdaysShort: ['dom', 'lun', 'mar', 'mié', 'jue', 'vie', 'sáb'],
    gmail: (t, p) =>
      `El ${es.weekdaysShort[t.wd]}, ${t.d} ${es.monthsShort[t.m - 1]} ${t.y} a las ${t.hh}:${t.mm}, ${p.name} (<${p.email}>) escribió:`,
    apple: (t, p) => `El ${t.d} ${es.months[t.m - 1]} ${t.y}, a las ${t.hh}:${t.mm}, ${addr(p)} escribió:`,
    thunderbird: (t, p) => `El ${t.d}/${t.m}/${t.y} a las ${t.hh}:${t.mm}, ${p.name} escribió:`,
    yahoo: (t, p) =>
      `El ${es.weekdays[t.wd]}, ${t.d} de ${es.months[t.m - 1]} de ${t.y}, ${t.hh}:${t.mm}:00 CET, ${addr(p)} escribió:`,
    labels: { from: 'De', sent: 'Enviado el', date: 'Fecha', to: 'Para', cc: 'CC', subject: 'Asunto' },
    colon: ':',
    outlookDate: (t) => `${es.weekdays[t.wd]}, ${t.d} de ${es.months[t.m - 1]} de ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Mensaje original-----',
    androidOriginal: '-------- Mensaje original --------',
    forwarded: '---------- Mensaje reenviado ---------',
    appleForward: 'Inicio del mensaje reenviado:',
    reply: 'RE',
    forward: 'RV',
    iphone: 'Enviado desde mi iPhone',
    galaxy: 'Enviado desde mi Galaxy',
    outlookApp: 'Obtener Outlook para iOS',
    windowsMail: 'Enviado desde Correo para Windows',
    lookalike: ['Madrid', 'Sevilla', 'viernes'],
  },
  {
    lang: 'it',
    agent: { name: 'Giulia Rossi', email: 'giulia.rossi@acme-supporto.it' },
    customer: { name: 'Marco Bianchi', email: 'marco.bianchi@example.it' },
    subject: 'Abbonamento non rinnovato',
    replies: [
      ['Ciao Marco,', '', "ho rinnovato l'abbonamento manualmente: ora risulta attivo fino a marzo 2025."],
      ['Grazie della segnalazione, il problema con la carta è stato risolto.'],
      ['Buongiorno,', 'le ho inviato il codice sconto del 15% per il prossimo ordine.'],
      ['Sì, può annullare in qualsiasi momento dalla pagina del profilo.'],
    ],
    questions: [
      ['Buongiorno,', "il mio abbonamento non si è rinnovato e l'app mi ha disconnesso.", 'Potete controllare?'],
      ['La carta viene rifiutata anche se è valida. Cosa posso fare?'],
      ['Posso disdire quando voglio? Grazie, Marco'],
    ],
    inline: ['Sì, allo stesso indirizzo.', 'No, nessun costo aggiuntivo.'],
    signoff: ['Cordiali saluti,', 'Giulia'],
    months: [
      'gennaio',
      'febbraio',
      'marzo',
      'aprile',
      'maggio',
      'giugno',
      'luglio',
      'agosto',
      'settembre',
      'ottobre',
      'novembre',
      'dicembre',
    ],
    monthsShort: ['gen', 'feb', 'mar', 'apr', 'mag', 'giu', 'lug', 'ago', 'set', 'ott', 'nov', 'dic'],
    weekdays: ['domenica', 'lunedì', 'martedì', 'mercoledì', 'giovedì', 'venerdì', 'sabato'],
    weekdaysShort: ['dom', 'lun', 'mar', 'mer', 'gio', 'ven', 'sab'],
    gmail: (t, p) =>
      `Il giorno ${it.weekdaysShort[t.wd]} ${t.d} ${it.monthsShort[t.m - 1]} ${t.y} alle ore ${t.hh}:${t.mm} ${addr(p)} ha scritto:`,
    apple: (t, p) => `Il giorno ${t.d} ${it.months[t.m - 1]} ${t.y}, alle ore ${t.hh}:${t.mm}, ${addr(p)} ha scritto:`,
    thunderbird: (t, p) => `Il ${p2(t.d)}/${p2(t.m)}/${t.y} ${t.hh}:${t.mm}, ${p.name} ha scritto:`,
    yahoo: (t, p) =>
      `Il ${it.weekdays[t.wd]} ${t.d} ${it.months[t.m - 1]} ${t.y}, ${t.hh}:${t.mm}:00 CET, ${addr(p)} ha scritto:`,
    labels: { from: 'Da', sent: 'Inviato', date: 'Data', to: 'A', cc: 'Cc', subject: 'Oggetto' },
    colon: ':',
    outlookDate: (t) => `${it.weekdays[t.wd]} ${t.d} ${it.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Messaggio originale-----',
    androidOriginal: '-------- Messaggio originale --------',
    forwarded: '---------- Messaggio inoltrato ---------',
    appleForward: 'Inizio messaggio inoltrato:',
    reply: 'R',
    forward: 'I',
    iphone: 'Inviato da iPhone',
    galaxy: 'Inviato dal mio Galaxy',
    outlookApp: 'Scarica Outlook per iOS',
    windowsMail: 'Inviato da Posta per Windows',
    lookalike: ['Milano', 'Torino', 'venerdì'],
  },
  {
    lang: 'pt',
    agent: { name: 'João Almeida', email: 'joao.almeida@acme-suporte.com.br' },
    customer: { name: 'Mariana Costa', email: 'mariana.costa@example.com.br' },
    subject: 'Produto com defeito',
    replies: [
      ['Olá Mariana,', '', 'a troca foi aprovada. O novo aparelho será enviado amanhã.'],
      ['Obrigado pelo retorno! O estorno já foi feito no seu cartão.'],
      ['Bom dia,', 'segue em anexo a nota fiscal do pedido 5512.'],
      ['Sim, a garantia cobre esse defeito. Vou abrir o chamado agora.'],
    ],
    questions: [
      ['Olá,', 'o fone que comprei parou de funcionar depois de uma semana.', 'Como faço a troca?'],
      ['Ainda não recebi o estorno da compra cancelada. Podem verificar?'],
      ['A garantia cobre a bateria? Obrigada, Mariana'],
    ],
    inline: ['Sim, no mesmo endereço.', 'Não, sem custo adicional.'],
    signoff: ['Atenciosamente,', 'João'],
    months: [
      'janeiro',
      'fevereiro',
      'março',
      'abril',
      'maio',
      'junho',
      'julho',
      'agosto',
      'setembro',
      'outubro',
      'novembro',
      'dezembro',
    ],
    monthsShort: ['jan.', 'fev.', 'mar.', 'abr.', 'mai.', 'jun.', 'jul.', 'ago.', 'set.', 'out.', 'nov.', 'dez.'],
    weekdays: ['domingo', 'segunda-feira', 'terça-feira', 'quarta-feira', 'quinta-feira', 'sexta-feira', 'sábado'],
    weekdaysShort: ['dom.', 'seg.', 'ter.', 'qua.', 'qui.', 'sex.', 'sáb.'],
    gmail: (t, p) =>
      `Em ${pt.weekdaysShort[t.wd]}, ${t.d} de ${pt.monthsShort[t.m - 1]} de ${t.y} às ${t.hh}:${t.mm}, ${addr(p)} escreveu:`,
    apple: (t, p) => `Em ${t.d} de ${pt.months[t.m - 1]} de ${t.y}, à(s) ${t.hh}:${t.mm}, ${addr(p)} escreveu:`,
    thunderbird: (t, p) => `Em ${p2(t.d)}/${p2(t.m)}/${t.y} ${t.hh}:${t.mm}, ${p.name} escreveu:`,
    yahoo: (t, p) =>
      `Em ${pt.weekdays[t.wd]}, ${t.d} de ${pt.months[t.m - 1]} de ${t.y} ${t.hh}:${t.mm}:00 BRT, ${addr(p)} escreveu:`,
    labels: { from: 'De', sent: 'Enviado', date: 'Data', to: 'Para', cc: 'Cc', subject: 'Assunto' },
    colon: ':',
    outlookDate: (t) => `${pt.weekdays[t.wd]}, ${t.d} de ${pt.months[t.m - 1]} de ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Mensagem original-----',
    androidOriginal: '-------- Mensagem original --------',
    forwarded: '---------- Mensagem encaminhada ---------',
    appleForward: 'Início da mensagem reencaminhada:',
    reply: 'RE',
    forward: 'ENC',
    iphone: 'Enviado do meu iPhone',
    galaxy: 'Enviado do meu Galaxy',
    outlookApp: 'Obter o Outlook para iOS',
    windowsMail: 'Enviado do Email para Windows',
    lookalike: ['Campinas', 'Recife', 'sexta-feira'],
  },
  {
    lang: 'nl',
    agent: { name: 'Daan de Vries', email: 'daan.devries@acme-support.nl' },
    customer: { name: 'Sanne Jansen', email: 'sanne.jansen@example.nl' },
    subject: 'Retour van bestelling 7781',
    replies: [
      ['Hoi Sanne,', '', 'je retour is binnen. Het bedrag staat binnen drie werkdagen op je rekening.'],
      ['Bedankt voor je geduld. De monteur komt donderdag tussen 8 en 12 uur.'],
      ['Goedemorgen,', 'ik heb de factuur opnieuw naar je gestuurd.'],
      ['Ja, je kunt de bestelling nog aanpassen tot vanavond 22:00.'],
    ],
    questions: [
      ['Hallo,', 'ik heb vorige week een retour gestuurd maar nog niets gehoord.', 'Kunnen jullie kijken?'],
      ['Wanneer komt de monteur? Ik ben alleen donderdag thuis.'],
      ['Kan ik mijn bestelling nog wijzigen? Groet, Sanne'],
    ],
    inline: ['Ja, naar hetzelfde adres.', 'Nee, dat kost niets extra.'],
    signoff: ['Met vriendelijke groet,', 'Daan'],
    months: [
      'januari',
      'februari',
      'maart',
      'april',
      'mei',
      'juni',
      'juli',
      'augustus',
      'september',
      'oktober',
      'november',
      'december',
    ],
    monthsShort: ['jan', 'feb', 'mrt', 'apr', 'mei', 'jun', 'jul', 'aug', 'sep', 'okt', 'nov', 'dec'],
    weekdays: ['zondag', 'maandag', 'dinsdag', 'woensdag', 'donderdag', 'vrijdag', 'zaterdag'],
    weekdaysShort: ['zo', 'ma', 'di', 'wo', 'do', 'vr', 'za'],
    gmail: (t, p) =>
      `Op ${nl.weekdaysShort[t.wd]} ${t.d} ${nl.monthsShort[t.m - 1]} ${t.y} om ${t.hh}:${t.mm} schreef ${addr(p)}:`,
    apple: (t, p) =>
      `Op ${t.d} ${nl.monthsShort[t.m - 1]}. ${t.y}, om ${t.hh}:${t.mm} heeft ${addr(p)} het volgende geschreven:`,
    thunderbird: (t, p) => `Op ${p2(t.d)}-${p2(t.m)}-${t.y} om ${t.hh}:${t.mm} schreef ${p.name}:`,
    yahoo: (t, p) =>
      `Op ${nl.weekdays[t.wd]} ${t.d} ${nl.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}:00 CET schreef ${addr(p)}:`,
    labels: { from: 'Van', sent: 'Verzonden', date: 'Datum', to: 'Aan', cc: 'CC', subject: 'Onderwerp' },
    colon: ':',
    outlookDate: (t) => `${nl.weekdays[t.wd]} ${t.d} ${nl.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Oorspronkelijk bericht-----',
    androidOriginal: '-------- Oorspronkelijk bericht --------',
    forwarded: '---------- Doorgestuurd bericht ---------',
    appleForward: 'Begin doorgestuurd bericht:',
    reply: 'RE',
    forward: 'FW',
    iphone: 'Verzonden vanaf mijn iPhone',
    galaxy: 'Verzonden vanaf mijn Galaxy',
    outlookApp: 'Outlook voor iOS downloaden',
    windowsMail: 'Verzonden vanuit Mail voor Windows',
    lookalike: ['Utrecht', 'Groningen', 'vrijdag'],
  },
  {
    lang: 'sv',
    agent: { name: 'Elsa Lindqvist', email: 'elsa.lindqvist@acme-support.se' },
    customer: { name: 'Erik Johansson', email: 'erik.johansson@example.se' },
    subject: 'Fel storlek levererad',
    replies: [
      ['Hej Erik,', '', 'vi skickar rätt storlek i dag. Du behöver inte skicka tillbaka den andra.'],
      ['Tack för att du hörde av dig! Återbetalningen är gjord.'],
      ['God morgon,', 'jag har förlängt din provperiod med två veckor.'],
      ['Ja, det går bra att hämta paketet hos ombudet på lördag.'],
    ],
    questions: [
      ['Hej,', 'jag beställde storlek L men fick M.', 'Hur gör jag?'],
      ['Jag har inte fått pengarna tillbaka för den avbeställda ordern.'],
      ['Kan jag hämta paketet på lördag? Mvh Erik'],
    ],
    inline: ['Ja, till samma adress.', 'Nej, det kostar inget extra.'],
    signoff: ['Vänliga hälsningar,', 'Elsa'],
    months: [
      'januari',
      'februari',
      'mars',
      'april',
      'maj',
      'juni',
      'juli',
      'augusti',
      'september',
      'oktober',
      'november',
      'december',
    ],
    monthsShort: ['jan.', 'feb.', 'mars', 'apr.', 'maj', 'juni', 'juli', 'aug.', 'sep.', 'okt.', 'nov.', 'dec.'],
    weekdays: ['söndag', 'måndag', 'tisdag', 'onsdag', 'torsdag', 'fredag', 'lördag'],
    weekdaysShort: ['sön', 'mån', 'tis', 'ons', 'tors', 'fre', 'lör'],
    gmail: (t, p) =>
      `Den ${sv.weekdaysShort[t.wd]} ${t.d} ${sv.monthsShort[t.m - 1]} ${t.y} kl ${t.hh}:${t.mm} skrev ${addr(p)}:`,
    apple: (t, p) => `${t.d} ${sv.monthsShort[t.m - 1]} ${t.y} kl. ${t.hh}:${t.mm} skrev ${addr(p)}:`,
    thunderbird: (t, p) => `Den ${t.y}-${p2(t.m)}-${p2(t.d)} kl. ${t.hh}:${t.mm}, skrev ${p.name}:`,
    yahoo: (t, p) =>
      `${sv.weekdays[t.wd]} ${t.d} ${sv.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}:00 CET skrev ${addr(p)}:`,
    labels: { from: 'Från', sent: 'Skickat', date: 'Datum', to: 'Till', cc: 'Kopia', subject: 'Ämne' },
    colon: ':',
    outlookDate: (t) => `den ${t.d} ${sv.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Ursprungligt meddelande-----',
    androidOriginal: '-------- Originalmeddelande --------',
    forwarded: '---------- Vidarebefordrat meddelande ---------',
    appleForward: 'Vidarebefordrat mejl:',
    reply: 'SV',
    forward: 'VB',
    iphone: 'Skickat från min iPhone',
    galaxy: 'Skickat från min Galaxy',
    outlookApp: 'Skaffa Outlook för iOS',
    windowsMail: 'Skickades från E-post för Windows',
    lookalike: ['Göteborg', 'Malmö', 'fredag'],
  },
  {
    lang: 'da',
    agent: { name: 'Mads Nielsen', email: 'mads.nielsen@acme-support.dk' },
    customer: { name: 'Louise Hansen', email: 'louise.hansen@example.dk' },
    subject: 'Spørgsmål om abonnement',
    replies: [
      ['Hej Louise,', '', 'jeg har ændret dit abonnement til månedlig betaling fra næste måned.'],
      ['Tak for din besked. Pakken er sendt med GLS i dag.'],
      ['Godmorgen,', 'fakturaen er nu rettet og sendt til dig igen.'],
      ['Ja, du kan sagtens pause abonnementet i to måneder.'],
    ],
    questions: [
      ['Hej,', 'kan jeg skifte til månedlig betaling?', 'Jeg betaler årligt nu.'],
      ['Hvornår bliver min pakke sendt? Jeg har ventet en uge.'],
      ['Kan man sætte abonnementet på pause? Hilsen Louise'],
    ],
    inline: ['Ja, til samme adresse.', 'Nej, det koster ikke ekstra.'],
    signoff: ['Venlig hilsen', 'Mads'],
    months: [
      'januar',
      'februar',
      'marts',
      'april',
      'maj',
      'juni',
      'juli',
      'august',
      'september',
      'oktober',
      'november',
      'december',
    ],
    monthsShort: ['jan.', 'feb.', 'mar.', 'apr.', 'maj', 'jun.', 'jul.', 'aug.', 'sep.', 'okt.', 'nov.', 'dec.'],
    weekdays: ['søndag', 'mandag', 'tirsdag', 'onsdag', 'torsdag', 'fredag', 'lørdag'],
    weekdaysShort: ['søn.', 'man.', 'tirs.', 'ons.', 'tors.', 'fre.', 'lør.'],
    gmail: (t, p) =>
      `Den ${da.weekdaysShort[t.wd]} ${t.d}. ${da.monthsShort[t.m - 1]} ${t.y} kl. ${t.hh}.${t.mm} skrev ${addr(p)}:`,
    apple: (t, p) => `Den ${t.d}. ${da.monthsShort[t.m - 1]} ${t.y} kl. ${t.hh}.${t.mm} skrev ${addr(p)}:`,
    thunderbird: (t, p) => `Den ${p2(t.d)}-${p2(t.m)}-${t.y} kl. ${t.hh}:${t.mm} skrev ${p.name}:`,
    yahoo: (t, p) =>
      `${da.weekdays[t.wd]} den ${t.d}. ${da.months[t.m - 1]} ${t.y} ${t.hh}.${t.mm}.00 CET skrev ${addr(p)}:`,
    labels: { from: 'Fra', sent: 'Sendt', date: 'Dato', to: 'Til', cc: 'Cc', subject: 'Emne' },
    colon: ':',
    outlookDate: (t) => `${t.d}. ${da.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Oprindelig meddelelse-----',
    androidOriginal: '-------- Oprindelig meddelelse --------',
    forwarded: '---------- Videresendt meddelelse ---------',
    appleForward: 'Start på videresendt besked:',
    reply: 'SV',
    forward: 'VS',
    iphone: 'Sendt fra min iPhone',
    galaxy: 'Sendt fra min Galaxy',
    outlookApp: 'Hent Outlook til iOS',
    windowsMail: 'Sendt fra Mail til Windows',
    lookalike: ['Aarhus', 'Odense', 'fredag'],
  },
  {
    lang: 'no',
    agent: { name: 'Ingrid Haugen', email: 'ingrid.haugen@acme-support.no' },
    customer: { name: 'Ola Nordmann', email: 'ola.nordmann@example.no' },
    subject: 'Mangler en del i pakken',
    replies: [
      ['Hei Ola,', '', 'vi sender den manglende delen i dag. Den er fremme i løpet av to dager.'],
      ['Takk for at du sa fra! Vi har rettet adressen på kontoen din.'],
      ['God morgen,', 'kreditnotaen ligger vedlagt.'],
      ['Ja, du kan bytte til en annen farge uten ekstra kostnad.'],
    ],
    questions: [
      ['Hei,', 'det mangler en skrue i pakken jeg fikk i går.', 'Kan dere sende en ny?'],
      ['Adressen på kontoen min er feil. Kan dere endre den?'],
      ['Går det an å bytte farge? Hilsen Ola'],
    ],
    inline: ['Ja, til samme adresse.', 'Nei, det koster ikke noe ekstra.'],
    signoff: ['Med vennlig hilsen', 'Ingrid'],
    months: [
      'januar',
      'februar',
      'mars',
      'april',
      'mai',
      'juni',
      'juli',
      'august',
      'september',
      'oktober',
      'november',
      'desember',
    ],
    monthsShort: ['jan.', 'feb.', 'mar.', 'apr.', 'mai', 'jun.', 'jul.', 'aug.', 'sep.', 'okt.', 'nov.', 'des.'],
    weekdays: ['søndag', 'mandag', 'tirsdag', 'onsdag', 'torsdag', 'fredag', 'lørdag'],
    weekdaysShort: ['søn.', 'man.', 'tir.', 'ons.', 'tor.', 'fre.', 'lør.'],
    gmail: (t, p) =>
      `${no.weekdaysShort[t.wd]} ${t.d}. ${no.monthsShort[t.m - 1]} ${t.y} kl. ${t.hh}:${t.mm} skrev ${addr(p)}:`,
    apple: (t, p) => `${t.d}. ${no.monthsShort[t.m - 1]} ${t.y} kl. ${t.hh}:${t.mm} skrev ${addr(p)}:`,
    thunderbird: (t, p) => `Den ${p2(t.d)}.${p2(t.m)}.${t.y} ${t.hh}:${t.mm}, skrev ${p.name}:`,
    yahoo: (t, p) =>
      `${no.weekdays[t.wd]} ${t.d}. ${no.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}:00 CET skrev ${addr(p)}:`,
    labels: { from: 'Fra', sent: 'Sendt', date: 'Dato', to: 'Til', cc: 'Kopi', subject: 'Emne' },
    colon: ':',
    outlookDate: (t) => `${no.weekdays[t.wd]} ${t.d}. ${no.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Opprinnelig melding-----',
    androidOriginal: '-------- Opprinnelig melding --------',
    forwarded: '---------- Videresendt melding ---------',
    appleForward: 'Videresendt melding:',
    reply: 'SV',
    forward: 'VS',
    iphone: 'Sendt fra min iPhone',
    galaxy: 'Sendt fra min Galaxy',
    outlookApp: 'Hent Outlook for iOS',
    windowsMail: 'Sendt fra E-post for Windows',
    lookalike: ['Bergen', 'Trondheim', 'fredag'],
  },
  {
    lang: 'pl',
    agent: { name: 'Katarzyna Nowak', email: 'katarzyna.nowak@acme-pomoc.pl' },
    customer: { name: 'Piotr Kowalski', email: 'piotr.kowalski@example.pl' },
    subject: 'Reklamacja zamówienia 6620',
    replies: [
      ['Dzień dobry Panie Piotrze,', '', 'reklamacja została uznana. Nowy produkt wyślemy jutro.'],
      ['Dziękuję za cierpliwość. Zwrot środków został zlecony.'],
      ['Witam,', 'w załączniku przesyłam poprawioną fakturę.'],
      ['Tak, można odebrać paczkę w paczkomacie przy ul. Długiej.'],
    ],
    questions: [
      ['Dzień dobry,', 'otrzymałem uszkodzony czajnik.', 'Jak złożyć reklamację?'],
      ['Nie dostałem jeszcze zwrotu pieniędzy. Proszę o sprawdzenie.'],
      ['Czy mogę odebrać paczkę w paczkomacie? Pozdrawiam, Piotr'],
    ],
    inline: ['Tak, na ten sam adres.', 'Nie, bez dodatkowych opłat.'],
    signoff: ['Pozdrawiam,', 'Kasia'],
    months: [
      'stycznia',
      'lutego',
      'marca',
      'kwietnia',
      'maja',
      'czerwca',
      'lipca',
      'sierpnia',
      'września',
      'października',
      'listopada',
      'grudnia',
    ],
    monthsShort: ['sty', 'lut', 'mar', 'kwi', 'maj', 'cze', 'lip', 'sie', 'wrz', 'paź', 'lis', 'gru'],
    weekdays: ['niedziela', 'poniedziałek', 'wtorek', 'środa', 'czwartek', 'piątek', 'sobota'],
    weekdaysShort: ['niedz.', 'pon.', 'wt.', 'śr.', 'czw.', 'pt.', 'sob.'],
    gmail: (t, p) =>
      `${pl.weekdaysShort[t.wd]} ${t.d} ${pl.monthsShort[t.m - 1]} ${t.y} o ${t.hh}:${t.mm} ${addr(p)} napisał(a):`,
    apple: (t, p) => `Wiadomość napisana przez ${addr(p)} w dniu ${t.d}.${p2(t.m)}.${t.y}, o godz. ${t.hh}:${t.mm}:`,
    thunderbird: (t, p) => `W dniu ${p2(t.d)}.${p2(t.m)}.${t.y} o ${t.hh}:${t.mm}, ${p.name} pisze:`,
    yahoo: (t, p) =>
      `W dniu ${pl.weekdays[t.wd]}, ${t.d} ${pl.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}:00 CET, ${addr(p)} napisał(a):`,
    labels: { from: 'Od', sent: 'Wysłano', date: 'Data', to: 'Do', cc: 'DW', subject: 'Temat' },
    colon: ':',
    outlookDate: (t) => `${pl.weekdays[t.wd]}, ${t.d} ${pl.months[t.m - 1]} ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Wiadomość oryginalna-----',
    androidOriginal: '-------- Oryginalna wiadomość --------',
    forwarded: '---------- Wiadomość przekazana dalej ---------',
    appleForward: 'Początek przekazywanej wiadomości:',
    reply: 'RE',
    forward: 'PD',
    iphone: "Wysłane z iPhone'a",
    galaxy: 'Wysłane z mojego Galaxy',
    outlookApp: 'Pobierz aplikację Outlook dla systemu iOS',
    windowsMail: 'Wysłane z Poczty dla Windows',
    lookalike: ['Kraków', 'Gdańsk', 'piątek'],
  },
  {
    lang: 'ru',
    agent: { name: 'Анна Смирнова', email: 'anna.smirnova@acme-support.ru' },
    customer: { name: 'Дмитрий Иванов', email: 'dmitry.ivanov@example.ru' },
    subject: 'Не пришёл код подтверждения',
    replies: [
      ['Здравствуйте, Дмитрий!', '', 'Мы отправили новый код подтверждения. Он действует 15 минут.'],
      ['Спасибо за обращение. Деньги вернутся на карту в течение трёх дней.'],
      ['Добрый день,', 'курьер привезёт заказ завтра с 10 до 14 часов.'],
      ['Да, сменить тариф можно в личном кабинете в разделе «Настройки».'],
    ],
    questions: [
      ['Здравствуйте,', 'мне не приходит код подтверждения на телефон.', 'Что делать?'],
      ['Я отменил заказ, но деньги так и не вернулись. Проверьте, пожалуйста.'],
      ['Можно ли сменить тариф? Спасибо, Дмитрий'],
    ],
    inline: ['Да, на тот же адрес.', 'Нет, без доплаты.'],
    signoff: ['С уважением,', 'Анна'],
    months: [
      'января',
      'февраля',
      'марта',
      'апреля',
      'мая',
      'июня',
      'июля',
      'августа',
      'сентября',
      'октября',
      'ноября',
      'декабря',
    ],
    monthsShort: ['янв.', 'февр.', 'мар.', 'апр.', 'мая', 'июн.', 'июл.', 'авг.', 'сент.', 'окт.', 'нояб.', 'дек.'],
    weekdays: ['воскресенье', 'понедельник', 'вторник', 'среда', 'четверг', 'пятница', 'суббота'],
    weekdaysShort: ['вс', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб'],
    gmail: (t, p) =>
      `${ru.weekdaysShort[t.wd]}, ${t.d} ${ru.monthsShort[t.m - 1]} ${t.y} г. в ${t.hh}:${t.mm}, ${addr(p)}:`,
    apple: (t, p) => `${t.d} ${ru.months[t.m - 1]} ${t.y} г., в ${t.hh}:${t.mm}, ${addr(p)} написал(а):`,
    thunderbird: (t, p) => `${p2(t.d)}.${p2(t.m)}.${t.y} ${t.hh}:${t.mm}, ${p.name} пишет:`,
    yahoo: (t, p) =>
      `${ru.weekdays[t.wd]}, ${t.d} ${ru.months[t.m - 1]} ${t.y} г., ${t.hh}:${t.mm}:00 GMT+3, ${addr(p)} написал(-а):`,
    labels: { from: 'От', sent: 'Отправлено', date: 'Дата', to: 'Кому', cc: 'Копия', subject: 'Тема' },
    colon: ':',
    outlookDate: (t) => `${t.d} ${ru.months[t.m - 1]} ${t.y} г. ${t.hh}:${t.mm}`,
    original: '-----Исходное сообщение-----',
    androidOriginal: '-------- Исходное сообщение --------',
    forwarded: '---------- Пересылаемое сообщение ---------',
    appleForward: 'Начало переадресованного сообщения:',
    reply: 'RE',
    forward: 'FW',
    iphone: 'Отправлено с iPhone',
    galaxy: 'Отправлено с моего Galaxy',
    outlookApp: 'Загрузите Outlook для iOS',
    windowsMail: 'Отправлено из приложения Почта для Windows',
    lookalike: ['Казань', 'Самара', 'пятница'],
  },
  {
    lang: 'uk',
    agent: { name: 'Олена Коваленко', email: 'olena.kovalenko@acme-support.ua' },
    customer: { name: 'Андрій Шевченко', email: 'andrii.shevchenko@example.ua' },
    subject: 'Питання щодо доставки',
    replies: [
      ['Добрий день, Андрію!', '', 'Посилка вже у відділенні Нової пошти №12. Можна забирати.'],
      ['Дякуємо за звернення. Кошти повернуто на вашу картку.'],
      ['Вітаю,', 'рахунок-фактуру надіслано ще раз на вашу пошту.'],
      ['Так, доставка до Львова займає два дні.'],
    ],
    questions: [
      ['Добрий день,', 'коли прийде моє замовлення?', 'Минув уже тиждень.'],
      ['Я скасував замовлення, але гроші не повернулися.'],
      ['Скільки триває доставка до Львова? Дякую, Андрій'],
    ],
    inline: ['Так, на ту саму адресу.', 'Ні, без доплати.'],
    signoff: ['З повагою,', 'Олена'],
    months: [
      'січня',
      'лютого',
      'березня',
      'квітня',
      'травня',
      'червня',
      'липня',
      'серпня',
      'вересня',
      'жовтня',
      'листопада',
      'грудня',
    ],
    monthsShort: [
      'січ.',
      'лют.',
      'бер.',
      'квіт.',
      'трав.',
      'черв.',
      'лип.',
      'серп.',
      'вер.',
      'жовт.',
      'лист.',
      'груд.',
    ],
    weekdays: ['неділя', 'понеділок', 'вівторок', 'середа', 'четвер', 'пʼятниця', 'субота'],
    weekdaysShort: ['нд', 'пн', 'вт', 'ср', 'чт', 'пт', 'сб'],
    gmail: (t, p) =>
      `${uk.weekdaysShort[t.wd]}, ${t.d} ${uk.monthsShort[t.m - 1]} ${t.y} р. о ${t.hh}:${t.mm} ${addr(p)} пише:`,
    apple: (t, p) => `${t.d} ${uk.months[t.m - 1]} ${t.y} р. о ${t.hh}:${t.mm} ${addr(p)} написав(ла):`,
    thunderbird: (t, p) => `${p2(t.d)}.${p2(t.m)}.${t.y} ${t.hh}:${t.mm}, ${p.name} пише:`,
    yahoo: (t, p) =>
      `${uk.weekdays[t.wd]}, ${t.d} ${uk.months[t.m - 1]} ${t.y} р., ${t.hh}:${t.mm}:00 GMT+2, ${addr(p)} написав(-ла):`,
    labels: { from: 'Від', sent: 'Надіслано', date: 'Дата', to: 'Кому', cc: 'Копія', subject: 'Тема' },
    colon: ':',
    outlookDate: (t) => `${t.d} ${uk.months[t.m - 1]} ${t.y} р. ${t.hh}:${t.mm}`,
    original: '-----Оригінальне повідомлення-----',
    androidOriginal: '-------- Оригінальне повідомлення --------',
    forwarded: '---------- Переслане повідомлення ---------',
    appleForward: 'Початок пересланого повідомлення:',
    reply: 'RE',
    forward: 'FW',
    iphone: 'Надіслано з iPhone',
    galaxy: 'Надіслано з мого Galaxy',
    outlookApp: 'Отримати Outlook для iOS',
    windowsMail: 'Надіслано з Пошти для Windows',
    lookalike: ['Львів', 'Одеса', 'пʼятниця'],
  },
  {
    lang: 'vi',
    agent: { name: 'Nguyễn Văn Minh', email: 'minh.nguyen@acme-hotro.vn' },
    customer: { name: 'Trần Thị Lan', email: 'lan.tran@example.vn' },
    subject: 'Đơn hàng giao chậm',
    replies: [
      ['Chào chị Lan,', '', 'đơn hàng của chị sẽ được giao vào sáng mai. Mong chị thông cảm.'],
      ['Cảm ơn chị đã phản hồi. Chúng tôi đã hoàn tiền vào tài khoản của chị.'],
      ['Xin chào,', 'tôi đã gửi lại hóa đơn qua email cho chị.'],
      ['Vâng, chị có thể đổi sang màu khác miễn phí.'],
    ],
    questions: [
      ['Chào anh,', 'đơn hàng của tôi đã trễ ba ngày rồi.', 'Khi nào thì giao được?'],
      ['Tôi đã hủy đơn nhưng chưa nhận được tiền hoàn.'],
      ['Tôi có thể đổi màu không? Cảm ơn, Lan'],
    ],
    inline: ['Vâng, giao đến cùng địa chỉ.', 'Không, không mất thêm phí.'],
    signoff: ['Trân trọng,', 'Minh'],
    months: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
    monthsShort: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
    weekdays: ['Chủ Nhật', 'Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy'],
    weekdaysShort: ['CN', 'Th 2', 'Th 3', 'Th 4', 'Th 5', 'Th 6', 'Th 7'],
    gmail: (t, p) =>
      `Vào ${vi.weekdaysShort[t.wd]}, ${t.d} thg ${t.m}, ${t.y} vào lúc ${t.hh}:${t.mm} ${addr(p)} đã viết:`,
    apple: (t, p) => `Vào lúc ${t.hh}:${t.mm}, ngày ${t.d} thg ${t.m}, ${t.y}, ${addr(p)} đã viết:`,
    thunderbird: (t, p) => `Vào ${p2(t.d)}/${p2(t.m)}/${t.y} ${t.hh}:${t.mm}, ${p.name} đã viết:`,
    yahoo: (t, p) =>
      `Vào ${vi.weekdays[t.wd]}, ${t.d} tháng ${t.m}, ${t.y} lúc ${t.hh}:${t.mm}:00 GMT+7, ${addr(p)} đã viết:`,
    labels: { from: 'Từ', sent: 'Đã gửi', date: 'Ngày', to: 'Đến', cc: 'Cc', subject: 'Chủ đề' },
    colon: ':',
    outlookDate: (t) => `${vi.weekdays[t.wd]}, ngày ${t.d} tháng ${t.m} năm ${t.y} ${t.hh}:${t.mm}`,
    original: '-----Thư gốc-----',
    androidOriginal: '-------- Thư gốc --------',
    forwarded: '---------- Thư đã chuyển tiếp ---------',
    appleForward: 'Bắt đầu tin nhắn được chuyển tiếp:',
    reply: 'RE',
    forward: 'FW',
    iphone: 'Được gửi từ iPhone của tôi',
    galaxy: 'Được gửi từ Galaxy của tôi',
    outlookApp: 'Tải Outlook cho iOS',
    windowsMail: 'Được gửi từ Thư cho Windows',
    lookalike: ['Hà Nội', 'Đà Nẵng', 'thứ Sáu'],
  },
  {
    lang: 'ja',
    agent: { name: '佐藤 花子', email: 'hanako.sato@acme-support.jp' },
    customer: { name: '田中 太郎', email: 'taro.tanaka@example.jp' },
    subject: 'ご注文の商品について',
    replies: [
      ['田中様', '', 'お問い合わせありがとうございます。商品は明日発送いたします。'],
      ['ご返金の手続きが完了しました。数日以内に反映されます。'],
      ['お世話になっております。', '請求書を再送いたしましたのでご確認ください。'],
      ['はい、色の交換は無料で承ります。'],
    ],
    questions: [
      ['お世話になっております。', '先週注文した商品がまだ届いていません。', '確認していただけますか。'],
      ['キャンセルした注文の返金がまだです。'],
      ['色を交換できますか？よろしくお願いします。田中'],
    ],
    inline: ['はい、同じ住所にお届けします。', 'いいえ、追加料金はかかりません。'],
    signoff: ['よろしくお願いいたします。', '佐藤'],
    months: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
    monthsShort: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
    weekdays: ['日曜日', '月曜日', '火曜日', '水曜日', '木曜日', '金曜日', '土曜日'],
    weekdaysShort: ['日', '月', '火', '水', '木', '金', '土'],
    gmail: (t, p) => `${t.y}年${t.m}月${t.d}日(${ja.weekdaysShort[t.wd]}) ${t.hh}:${t.mm} ${addr(p)}:`,
    apple: (t, p) => `${t.y}/${p2(t.m)}/${p2(t.d)} ${t.hh}:${t.mm}、${addr(p)}のメール:`,
    thunderbird: (t, p) => `${t.y}/${p2(t.m)}/${p2(t.d)} ${t.hh}:${t.mm}, ${p.name} wrote:`,
    yahoo: (t, p) =>
      `${t.y}年${t.m}月${t.d}日(${ja.weekdaysShort[t.wd]}) ${t.hh}:${t.mm}、${addr(p)} さんは書きました:`,
    labels: { from: '差出人', sent: '送信日時', date: '日付', to: '宛先', cc: 'CC', subject: '件名' },
    colon: ':',
    outlookDate: (t) => `${t.y}年${t.m}月${t.d}日 ${t.hh}:${t.mm}`,
    original: '-----Original Message-----',
    androidOriginal: '-------- 元のメッセージ --------',
    forwarded: '---------- Forwarded message ---------',
    appleForward: '転送されたメッセージ:',
    reply: 'RE',
    forward: 'FW',
    iphone: 'iPhoneから送信',
    galaxy: 'Galaxy から送信',
    outlookApp: 'iOS 版 Outlook を入手',
    windowsMail: 'Windows 版メールから送信',
    lookalike: ['大阪', '名古屋', '金曜日'],
  },
  {
    lang: 'zh',
    agent: { name: '王伟', email: 'wei.wang@acme-support.cn' },
    customer: { name: '李娜', email: 'na.li@example.cn' },
    subject: '关于退款的问题',
    replies: [
      ['李女士您好：', '', '退款已经处理完毕，预计三个工作日内到账。'],
      ['感谢您的耐心等待，包裹今天已经发出。'],
      ['您好，', '发票已重新发送到您的邮箱，请查收。'],
      ['可以的，颜色可以免费更换。'],
    ],
    questions: [
      ['您好，', '我上周申请的退款还没有到账。', '请帮忙查一下。'],
      ['我的包裹什么时候发货？已经等了一周了。'],
      ['可以换颜色吗？谢谢，李娜'],
    ],
    inline: ['是的，寄到同一个地址。', '不需要，没有额外费用。'],
    signoff: ['此致', '王伟'],
    months: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
    monthsShort: ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'],
    weekdays: ['星期日', '星期一', '星期二', '星期三', '星期四', '星期五', '星期六'],
    weekdaysShort: ['日', '一', '二', '三', '四', '五', '六'],
    gmail: (t, p) => `${addr(p)} 于${t.y}年${t.m}月${t.d}日周${zh.weekdaysShort[t.wd]} ${t.hh}:${t.mm}写道：`,
    apple: (t, p) => `${addr(p)} 于 ${t.y}年${t.m}月${t.d}日 ${t.hh}:${t.mm} 写道：`,
    thunderbird: (t, p) => `在 ${t.y}/${p2(t.m)}/${p2(t.d)} ${t.hh}:${t.mm}, ${p.name} 写道:`,
    yahoo: (t, p) => `在 ${t.y}年${t.m}月${t.d}日${zh.weekdays[t.wd]} ${t.hh}:${t.mm}，${addr(p)} 写道：`,
    labels: { from: '发件人', sent: '发送时间', date: '日期', to: '收件人', cc: '抄送', subject: '主题' },
    colon: ':',
    outlookDate: (t) => `${t.y}年${t.m}月${t.d}日 ${t.hh}:${t.mm}`,
    original: '-----原始邮件-----',
    androidOriginal: '-------- 原始邮件 --------',
    forwarded: '---------- 转发的邮件 ---------',
    appleForward: '以下是转发的邮件：',
    reply: '回复',
    forward: '转发',
    iphone: '发自我的iPhone',
    galaxy: '发自我的Galaxy',
    outlookApp: '获取 iOS 版 Outlook',
    windowsMail: '从 Windows 版邮件发送',
    lookalike: ['上海', '杭州', '星期五'],
  },
];

const byLang = (l: Lang): Locale => {
  const found = locales.find((x) => x.lang === l);
  if (!found) throw new Error(l);
  return found;
};
// The templates above refer to their own locale's names by these.
const ref = (l: Lang) => ({
  get weekdays() {
    return byLang(l).weekdays;
  },
  get weekdaysShort() {
    return byLang(l).weekdaysShort;
  },
  get months() {
    return byLang(l).months;
  },
  get monthsShort() {
    return byLang(l).monthsShort;
  },
});
const en = ref('en');
const de = ref('de');
const fr = ref('fr');
const es = ref('es');
const it = ref('it');
const pt = ref('pt');
const nl = ref('nl');
const sv = ref('sv');
const da = ref('da');
const no = ref('no');
const pl = ref('pl');
const ru = ref('ru');
const uk = ref('uk');
const vi = ref('vi');
const ja = ref('ja');
const zh = ref('zh');
