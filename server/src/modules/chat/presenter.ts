import type { ChatAttachmentPayload, ChatMessagePayload } from '@switchboard/protocol';
import type { Attachment, Message } from './message.entity.js';

/** The only way a chat line becomes JSON for a socket or a response. */
export function presentMessage(m: Message, attachments: Attachment[] = []): ChatMessagePayload {
  return {
    id: m.id,
    interactionId: m.interactionId,
    authorKind: m.authorKind,
    authorName: m.authorName,
    body: m.body,
    clientMessageId: m.clientMessageId,
    deliveryState: m.deliveryState,
    attachments: attachments.map(presentAttachment),
    createdAt: m.createdAt.toISOString(),
  };
}

export function presentAttachment(a: Attachment): ChatAttachmentPayload {
  return { id: a.id, fileName: a.fileName, size: a.size, type: a.detectedType, sha256: a.sha256 };
}
