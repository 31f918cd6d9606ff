// What every REST answer of the server shares, whichever API: the error body, and the answer to a
// file upload.
import type { ChatAttachmentPayload } from './widget-socket.js';

export interface FieldProblem {
  /** The field as sent, dotted for nested ones (`fields.email`). */
  field: string;
  problem: string;
}

/** Any 4xx or 5xx answer: a code to act on, words to show, and the fields at fault. */
export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    fields?: FieldProblem[];
    /** On 500: the id support finds the request's log by. */
    requestId?: string;
  };
}

/** POST …/files (chat lines and mail replies, agent or visitor): the file as stored. */
export interface FileStored {
  file: ChatAttachmentPayload;
}
