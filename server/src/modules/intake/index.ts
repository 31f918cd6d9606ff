// What the channels share about taking a customer's request in: forms, visitor tokens and
// references (intake: the first step of every channel).
export { DEFAULT_CALLBACK_FORM, DEFAULT_CHAT_FORM, DEFAULT_MAIL_FORM, DEFAULT_OFFLINE_FORM, extensionOf, formText, validateForm, type FormResult } from './forms.js';
export { bearer, hashToken } from './tokens.js';
export { reference } from './reference.js';
