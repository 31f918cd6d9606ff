import { Injectable, inject } from '@angular/core';
import type { MailMessagePayload, MailReplyQueued, MailThreadPayload } from '@switchboard/protocol';
import { Api } from './api';

export type { MailDelivery } from '@switchboard/protocol';
export type MailMessage = MailMessagePayload;
export type MailThreadView = MailThreadPayload;

/** A paragraph of a mail: what the customer wrote, or what they quoted (shown folded). */
export interface MailBlock {
  quoted: boolean;
  text: string;
}

/**
 * Splits a mail body into what is new and what is quoted: lines starting with `>`, and everything
 * after an "On … wrote:" line or a forwarded/original-message separator (how mail clients quote).
 */
export function mailBlocks(body: string): MailBlock[] {
  const lines = body.replace(/\r\n/g, '\n').split('\n');
  const out: MailBlock[] = [];
  let rest = false;
  for (const line of lines) {
    if (!rest && /^(On .+ wrote:|Il giorno .+ ha scritto:|Le .+ a écrit ?:|-{2,} ?(Original Message|Messaggio originale|Message d'origine) ?-{2,})\s*$/i.test(line.trim())) rest = true;
    const quoted = rest || /^\s*>/.test(line);
    const last = out.at(-1);
    if (last && last.quoted === quoted) last.text += '\n' + line;
    else out.push({ quoted, text: line });
  }
  return out.map((b) => ({ ...b, text: b.text.replace(/^\n+|\n+$/g, '') })).filter((b) => b.text.trim() !== '');
}

/** The mail channel's REST side: the thread of a mail interaction and the agent's replies. */
@Injectable({ providedIn: 'root' })
export class MailStore {
  private readonly api = inject(Api);

  thread(interactionId: string): Promise<MailThreadView> {
    return this.api.get<MailThreadView>(`/api/mail/${encodeURIComponent(interactionId)}`);
  }

  reply(interactionId: string, body: string, attachmentIds: string[], clientMessageId: string, format: 'plain' | 'formatted' = 'plain'): Promise<MailReplyQueued> {
    return this.api.post(`/api/mail/${encodeURIComponent(interactionId)}/replies`, { clientMessageId, body, attachmentIds, format });
  }

  /** Sends a failed reply again. */
  retry(interactionId: string, messageId: string): Promise<MailReplyQueued> {
    return this.api.post(`/api/mail/${encodeURIComponent(interactionId)}/replies/${encodeURIComponent(messageId)}/retry`, {});
  }

  fileUrl(interactionId: string, fileId: string): string {
    return `/api/mail/${encodeURIComponent(interactionId)}/files/${encodeURIComponent(fileId)}`;
  }
}
