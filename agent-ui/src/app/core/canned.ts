import type { Lang } from './i18n';

/**
 * Canned replies. Text between `<` and `>` is a placeholder: `<customer>` and `<agent>` are
 * filled in, any other one is left for the agent to replace before sending. That is why agents
 * cannot type `<` or `>` themselves (the composer says so): a line still holding one is
 * unfinished, never something the customer should read.
 */
export interface CannedReply {
  id: string;
  title: string;
  text: string;
}

const REPLIES: Record<Lang, CannedReply[]> = {
  en: [
    { id: 'greet', title: 'Greeting', text: 'Hello <customer>, I am <agent>. How can I help you?' },
    { id: 'order', title: 'Order number', text: 'Could you give me your order number, please? It starts with <letter>.' },
    { id: 'moment', title: 'One moment', text: 'Thank you, <customer>. One moment while I check, please.' },
    { id: 'callback', title: 'Call back', text: 'I will call you back at <time> on <number>.' },
    { id: 'bye', title: 'Goodbye', text: 'Thank you for contacting us, <customer>. Have a nice day!' },
  ],
  it: [
    { id: 'greet', title: 'Saluto', text: 'Buongiorno <customer>, sono <agent>. Come posso aiutarla?' },
    { id: 'order', title: 'Numero ordine', text: 'Può darmi il numero dell\u2019ordine, per favore? Inizia con <lettera>.' },
    { id: 'moment', title: 'Un momento', text: 'Grazie, <customer>. Un momento che verifico, per favore.' },
    { id: 'callback', title: 'Richiamata', text: 'La richiamo alle <ora> al numero <numero>.' },
    { id: 'bye', title: 'Congedo', text: 'Grazie per averci contattato, <customer>. Buona giornata!' },
  ],
  fr: [
    { id: 'greet', title: 'Accueil', text: 'Bonjour <customer>, je suis <agent>. Comment puis-je vous aider ?' },
    { id: 'order', title: 'Numéro de commande', text: 'Pouvez-vous me donner votre numéro de commande, s\u2019il vous plaît ? Il commence par <lettre>.' },
    { id: 'moment', title: 'Un instant', text: 'Merci, <customer>. Un instant, je vérifie.' },
    { id: 'callback', title: 'Rappel', text: 'Je vous rappelle à <heure> au <numéro>.' },
    { id: 'bye', title: 'Au revoir', text: 'Merci de nous avoir contactés, <customer>. Bonne journée !' },
  ],
};

export function cannedReplies(lang: Lang): CannedReply[] {
  return REPLIES[lang];
}

/** Fills the placeholders we know; the others stay as `<…>`. */
export function fillPlaceholders(text: string, values: { customer?: string | null; agent?: string | null }): string {
  return text.replace(/<(customer|agent)>/g, (whole, key: 'customer' | 'agent') => values[key]?.trim() || whole);
}

/** The first placeholder still in the text (start, end), to select it for the agent. */
export function nextPlaceholder(text: string): [number, number] | null {
  const m = /<[^<>]*>/.exec(text);
  return m ? [m.index, m.index + m[0].length] : null;
}

/** What a typed or pasted text may contain: no placeholder brackets. */
export function withoutBrackets(text: string): string {
  return text.replace(/[<>]/g, '');
}
