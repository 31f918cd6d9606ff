import type { Language } from '../messages';

const en = {
  close: 'Minimise',
  chat: 'Chat',
  call: 'Call',
  video: 'Video call',
  callback: 'Call me back',
  mail: 'Send an email',
  back: 'Back',
  required: 'Please fill in this field.',
  requiredAgreement: 'Please accept to continue.',
  invalidEmail: 'Please enter a valid email address.',
  invalidPhone: 'Please enter a valid phone number, with the country code.',
  invalidNumber: 'Please enter a number.',
  startChat: 'Start chat',
  send: 'Send',
  message: 'Message',
  typeMessage: 'Type a message',
  attach: 'Attach files',
  remove: 'Remove',
  cancel: 'Cancel',
  retry: 'Retry',
  endChat: 'End chat',
  endConfirm: 'End this chat?',
  yes: 'Yes, end it',
  no: 'No',
  ended: 'The chat has ended.',
  transcript: 'Email me the transcript',
  transcriptSent: 'The transcript was sent to',
  queuePosition: 'You are number {n} in the queue.',
  waiting: 'Waiting for an agent…',
  typing: '{name} is typing…',
  agent: 'Agent',
  you: 'You',
  sent: 'Sent',
  delivered: 'Delivered',
  failed: 'Not sent',
  tooBig: '"{name}" is too big: at most {max} per file.',
  tooMany: 'At most {n} files at a time.',
  badType: '"{name}" is not accepted: use {types}.',
  uploading: 'Uploading {name}',
  closed: 'We are closed right now.',
  nextOpening: 'We open again {when}.',
  leaveMessage: 'Leave us a message',
  unmanaged: 'All our agents are busy right now.',
  submit: 'Send',
  thanks: 'Thank you!',
  ticket: 'Your ticket reference is {ref}.',
  callbackDone: 'We will call you back. Your reference is {ref}.',
  phone: 'Phone number',
  when: 'When?',
  asap: 'As soon as possible',
  messageLeft: 'Your message has been sent. We will get back to you.',
  networkError: 'Connection problem. Check your network and try again.',
  serverError: 'Something went wrong on our side. Please try again.',
  sendFailed: 'Your message could not be sent.',
  chooseOption: 'How can we help?',
  home: 'Home',
  devices: 'Your devices',
  microphone: 'Microphone',
  camera: 'Camera',
  speaker: 'Speaker',
  testDevices: 'Test my devices',
  testing: 'Testing your devices and connection…',
  micLevel: 'Microphone level',
  micOk: 'Microphone works',
  micSilent: 'We could not hear your microphone',
  camOk: 'Camera works',
  camFail: 'The camera shows nothing',
  netOk: 'Connection to our server works',
  netFail: 'Our server cannot be reached',
  mediaOk: 'Connection to our media server works',
  mediaFail: 'Our media server cannot be reached (your network may block calls)',
  noDevices: 'Allow access to your microphone (and camera) to call us.',
  continue: 'Continue',
  startCall: 'Call now',
  anonymous: 'Call without giving details',
  ringing: 'Ringing…',
  connecting: 'Connecting…',
  connected: 'Connected',
  mute: 'Mute',
  unmute: 'Unmute',
  cameraOff: 'Camera off',
  cameraOn: 'Camera on',
  keypad: 'Keypad',
  hangup: 'Hang up',
  callEnded: 'The call has ended.',
  callUnavailable: 'Calls are not available right now: the call service did not answer.',
  callFailed: 'The call failed: {reason}',
  download: 'Download',
  inviteVideo: '{name} invites you to a video call.',
  inviteCall: '{name} invites you to a call.',
  join: 'Join',
  decline: 'Decline',
  inviteCancelled: 'The call invitation was withdrawn.',
  inviteExpired: 'The call invitation has expired.',
  inviteFailed: 'The call could not be set up.',
  yourCamera: 'Your camera',
  newItems: '{n} new',
};
export type Key = keyof typeof en;

const it: Record<Key, string> = {
  close: 'Riduci', chat: 'Chat', call: 'Chiama', video: 'Videochiamata', callback: 'Richiamami', mail: 'Invia una email', back: 'Indietro',
  required: 'Compila questo campo.', requiredAgreement: 'Accetta per continuare.', invalidEmail: 'Inserisci un indirizzo email valido.',
  invalidPhone: 'Inserisci un numero di telefono valido, con il prefisso internazionale.', invalidNumber: 'Inserisci un numero.',
  startChat: 'Inizia la chat', send: 'Invia', message: 'Messaggio', typeMessage: 'Scrivi un messaggio', attach: 'Allega file', remove: 'Rimuovi',
  cancel: 'Annulla', retry: 'Riprova', endChat: 'Termina la chat', endConfirm: 'Terminare questa chat?', yes: 'Sì, termina', no: 'No',
  ended: 'La chat è terminata.', transcript: 'Inviami la trascrizione', transcriptSent: 'La trascrizione è stata inviata a',
  queuePosition: 'Sei il numero {n} in coda.', waiting: 'In attesa di un operatore…', typing: '{name} sta scrivendo…', agent: 'Operatore', you: 'Tu',
  sent: 'Inviato', delivered: 'Consegnato', failed: 'Non inviato', tooBig: '"{name}" è troppo grande: massimo {max} per file.',
  tooMany: 'Al massimo {n} file alla volta.', badType: '"{name}" non è accettato: usa {types}.', uploading: 'Caricamento di {name}',
  closed: 'Siamo chiusi in questo momento.', nextOpening: 'Riapriamo {when}.', leaveMessage: 'Lasciaci un messaggio',
  unmanaged: 'Tutti i nostri operatori sono occupati.', submit: 'Invia', thanks: 'Grazie!', ticket: 'Il riferimento del tuo ticket è {ref}.',
  callbackDone: 'Ti richiameremo. Il tuo riferimento è {ref}.', phone: 'Numero di telefono', when: 'Quando?', asap: 'Appena possibile',
  messageLeft: 'Il tuo messaggio è stato inviato. Ti ricontatteremo.', networkError: 'Problema di connessione. Controlla la rete e riprova.',
  serverError: 'Qualcosa è andato storto da parte nostra. Riprova.', sendFailed: 'Il messaggio non è stato inviato.', chooseOption: 'Come possiamo aiutarti?',
  home: 'Inizio', devices: 'I tuoi dispositivi', microphone: 'Microfono', camera: 'Videocamera', speaker: 'Altoparlante', testDevices: 'Prova i dispositivi',
  testing: 'Verifica di dispositivi e connessione…', micLevel: 'Livello del microfono', micOk: 'Il microfono funziona', micSilent: 'Non sentiamo il tuo microfono',
  camOk: 'La videocamera funziona', camFail: 'La videocamera non mostra nulla', netOk: 'La connessione al nostro server funziona', netFail: 'Il nostro server non è raggiungibile',
  mediaOk: 'La connessione al nostro server audio/video funziona', mediaFail: 'Il nostro server audio/video non è raggiungibile (la rete potrebbe bloccare le chiamate)', noDevices: 'Consenti l’accesso al microfono (e alla videocamera) per chiamarci.',
  continue: 'Continua', startCall: 'Chiama ora', anonymous: 'Chiama senza lasciare dati', ringing: 'Sta squillando…', connecting: 'Connessione…', connected: 'Connesso',
  mute: 'Silenzia', unmute: 'Riattiva audio', cameraOff: 'Spegni videocamera', cameraOn: 'Accendi videocamera', keypad: 'Tastiera', hangup: 'Riaggancia',
  callEnded: 'La chiamata è terminata.', callUnavailable: 'Le chiamate non sono disponibili ora: il servizio non ha risposto.', callFailed: 'La chiamata non è riuscita: {reason}', download: 'Scarica',
  inviteVideo: '{name} ti invita a una videochiamata.', inviteCall: '{name} ti invita a una chiamata.', join: 'Partecipa', decline: 'Rifiuta',
  inviteCancelled: 'L’invito alla chiamata è stato ritirato.', inviteExpired: 'L’invito alla chiamata è scaduto.', inviteFailed: 'Non è stato possibile avviare la chiamata.', yourCamera: 'La tua videocamera', newItems: '{n} novità',
};

const fr: Record<Key, string> = {
  close: 'Réduire', chat: 'Chat', call: 'Appeler', video: 'Appel vidéo', callback: 'Être rappelé', mail: 'Envoyer un e-mail', back: 'Retour',
  required: 'Veuillez remplir ce champ.', requiredAgreement: 'Veuillez accepter pour continuer.', invalidEmail: 'Veuillez saisir une adresse e-mail valide.',
  invalidPhone: 'Veuillez saisir un numéro de téléphone valide, avec l’indicatif.', invalidNumber: 'Veuillez saisir un nombre.',
  startChat: 'Démarrer le chat', send: 'Envoyer', message: 'Message', typeMessage: 'Écrivez un message', attach: 'Joindre des fichiers', remove: 'Retirer',
  cancel: 'Annuler', retry: 'Réessayer', endChat: 'Terminer le chat', endConfirm: 'Terminer ce chat ?', yes: 'Oui, terminer', no: 'Non',
  ended: 'Le chat est terminé.', transcript: 'M’envoyer la transcription', transcriptSent: 'La transcription a été envoyée à',
  queuePosition: 'Vous êtes numéro {n} dans la file.', waiting: 'En attente d’un conseiller…', typing: '{name} écrit…', agent: 'Conseiller', you: 'Vous',
  sent: 'Envoyé', delivered: 'Distribué', failed: 'Non envoyé', tooBig: '« {name} » est trop volumineux : {max} maximum par fichier.',
  tooMany: '{n} fichiers au maximum à la fois.', badType: '« {name} » n’est pas accepté : utilisez {types}.', uploading: 'Envoi de {name}',
  closed: 'Nous sommes fermés pour le moment.', nextOpening: 'Nous rouvrons {when}.', leaveMessage: 'Laissez-nous un message',
  unmanaged: 'Tous nos conseillers sont occupés.', submit: 'Envoyer', thanks: 'Merci !', ticket: 'La référence de votre ticket est {ref}.',
  callbackDone: 'Nous vous rappellerons. Votre référence est {ref}.', phone: 'Numéro de téléphone', when: 'Quand ?', asap: 'Dès que possible',
  messageLeft: 'Votre message a été envoyé. Nous vous répondrons.', networkError: 'Problème de connexion. Vérifiez votre réseau et réessayez.',
  serverError: 'Un problème est survenu de notre côté. Réessayez.', sendFailed: 'Votre message n’a pas été envoyé.', chooseOption: 'Comment pouvons-nous vous aider ?',
  home: 'Accueil', devices: 'Vos appareils', microphone: 'Microphone', camera: 'Caméra', speaker: 'Haut-parleur', testDevices: 'Tester mes appareils',
  testing: 'Test de vos appareils et de la connexion…', micLevel: 'Niveau du microphone', micOk: 'Le microphone fonctionne', micSilent: 'Nous n’entendons pas votre microphone',
  camOk: 'La caméra fonctionne', camFail: 'La caméra n’affiche rien', netOk: 'La connexion à notre serveur fonctionne', netFail: 'Notre serveur est injoignable',
  mediaOk: 'La connexion à notre serveur média fonctionne', mediaFail: 'Notre serveur média est injoignable (votre réseau bloque peut-être les appels)', noDevices: 'Autorisez l’accès au microphone (et à la caméra) pour nous appeler.',
  continue: 'Continuer', startCall: 'Appeler', anonymous: 'Appeler sans donner d’informations', ringing: 'Ça sonne…', connecting: 'Connexion…', connected: 'Connecté',
  mute: 'Couper le micro', unmute: 'Réactiver le micro', cameraOff: 'Couper la caméra', cameraOn: 'Activer la caméra', keypad: 'Clavier', hangup: 'Raccrocher',
  callEnded: 'L’appel est terminé.', callUnavailable: 'Les appels ne sont pas disponibles : le service d’appel n’a pas répondu.', callFailed: 'L’appel a échoué : {reason}', download: 'Télécharger',
  inviteVideo: '{name} vous invite à un appel vidéo.', inviteCall: '{name} vous invite à un appel.', join: 'Rejoindre', decline: 'Refuser',
  inviteCancelled: 'L’invitation à l’appel a été retirée.', inviteExpired: 'L’invitation à l’appel a expiré.', inviteFailed: 'L’appel n’a pas pu être établi.', yourCamera: 'Votre caméra', newItems: '{n} nouveauté(s)',
};

const tables: Record<Language, Record<Key, string>> = { en, it, fr };
let current: Language = 'en';

export function pickLanguage(forced: Language | undefined, browser: readonly string[]): Language {
  if (forced && forced in tables) return forced;
  for (const l of browser) {
    const short = l.slice(0, 2).toLowerCase();
    if (short in tables) return short as Language;
  }
  return 'en';
}

export function setLanguage(l: Language): void {
  current = l;
  document.documentElement.lang = l;
}

export const language = () => current;

export function t(key: Key, vars: Record<string, string | number> = {}): string {
  return tables[current][key].replace(/\{(\w+)\}/g, (_, k: string) => String(vars[k] ?? ''));
}

export function when(iso: string): string {
  return new Intl.DateTimeFormat(current, { weekday: 'long', day: 'numeric', month: 'long', hour: '2-digit', minute: '2-digit' }).format(new Date(iso));
}
