/** The rating mail and page in the widget's languages. */
export type RatingLanguage = 'en' | 'it' | 'fr';

interface Words {
  mailSubject: string;
  mailBody: (v: { site: string; link: string }) => string;
  title: string;
  ask: string;
  scale: [string, string];
  comment: string;
  send: string;
  thanks: string;
  already: string;
  open: string;
  unknown: string;
  malformed: string;
  off: string;
  pick: string;
  tooLong: string;
}

export const RATING_WORDS: Record<RatingLanguage, Words> = {
  en: {
    mailSubject: 'How did we do?',
    mailBody: (v) => `Thank you for contacting ${v.site}.\n\nHow satisfied are you with our help? It takes a few seconds:\n${v.link}\n\n${v.site}\n`,
    title: 'How did we do?',
    ask: 'How satisfied are you with our help?',
    scale: ['1 – not at all', '5 – very'],
    comment: 'Anything you want to tell us (optional)',
    send: 'Send',
    thanks: 'Thank you for your rating.',
    already: 'This was rated already. Thank you.',
    open: 'You can rate this once it is over.',
    unknown: 'This link does not lead to anything to rate. Check that it is complete, as in the mail.',
    malformed: 'This link is not complete. Open it as it is in the mail.',
    off: 'Ratings are not asked for any more.',
    pick: 'Choose a rating from 1 to 5.',
    tooLong: 'The comment is too long (at most {max} characters).',
  },
  it: {
    mailSubject: 'Come siamo andati?',
    mailBody: (v) => `Grazie per aver contattato ${v.site}.\n\nQuanto sei soddisfatto del nostro aiuto? Bastano pochi secondi:\n${v.link}\n\n${v.site}\n`,
    title: 'Come siamo andati?',
    ask: 'Quanto sei soddisfatto del nostro aiuto?',
    scale: ['1 – per niente', '5 – molto'],
    comment: 'Vuoi dirci qualcosa? (facoltativo)',
    send: 'Invia',
    thanks: 'Grazie per la tua valutazione.',
    already: 'La valutazione è già stata data. Grazie.',
    open: 'Potrai valutare quando sarà concluso.',
    unknown: 'Questo link non porta a nulla da valutare. Controlla che sia completo, come nella email.',
    malformed: 'Questo link non è completo. Aprilo così com’è nella email.',
    off: 'Le valutazioni non sono più richieste.',
    pick: 'Scegli un voto da 1 a 5.',
    tooLong: 'Il commento è troppo lungo (al massimo {max} caratteri).',
  },
  fr: {
    mailSubject: 'Comment avons-nous fait ?',
    mailBody: (v) => `Merci d’avoir contacté ${v.site}.\n\nÊtes-vous satisfait de notre aide ? Cela prend quelques secondes :\n${v.link}\n\n${v.site}\n`,
    title: 'Comment avons-nous fait ?',
    ask: 'Êtes-vous satisfait de notre aide ?',
    scale: ['1 – pas du tout', '5 – très'],
    comment: 'Quelque chose à nous dire ? (facultatif)',
    send: 'Envoyer',
    thanks: 'Merci pour votre note.',
    already: 'Une note a déjà été donnée. Merci.',
    open: 'Vous pourrez noter une fois terminé.',
    unknown: 'Ce lien ne mène à rien à noter. Vérifiez qu’il est complet, comme dans l’e-mail.',
    malformed: 'Ce lien n’est pas complet. Ouvrez-le tel qu’il est dans l’e-mail.',
    off: 'Les notes ne sont plus demandées.',
    pick: 'Choisissez une note de 1 à 5.',
    tooLong: 'Le commentaire est trop long ({max} caractères au plus).',
  },
};
