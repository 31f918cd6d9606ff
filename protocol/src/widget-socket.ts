/**
 * The widget's WebSocket protocol (/ws/widget?website=<id>). JSON text frames, one message each.
 * Commands may carry a `ref` that the server echoes in its answer or error. A socket follows a
 * chat only after `chat.subscribe` with the visitor token that started it.
 */
import type { CallInviteWidgetCommand, CallInviteWidgetMessage } from './call-invite.js';

/** Who wrote a chat line, as the visitor may see it (internal notes never reach the widget). */
export type ChatAuthorKind = 'visitor' | 'agent' | 'bot' | 'system' | 'note';

/** stored: in our database (single check); sent: relayed through the room; delivered: on the other side's screen (double check). */
export type ChatDeliveryState = 'stored' | 'sent' | 'delivered' | 'read' | 'failed';

export interface ChatAttachmentPayload {
  id: string;
  fileName: string;
  size: number;
  type: string;
  sha256: string;
}

export interface ChatMessagePayload {
  id: string;
  interactionId: string;
  authorKind: ChatAuthorKind;
  authorName: string | null;
  /** Plain text, delivered exactly as written: render it as text, never as HTML. */
  body: string;
  clientMessageId: string | null;
  deliveryState: ChatDeliveryState;
  attachments: ChatAttachmentPayload[];
  createdAt: string;
}

export type ChatTypingState = 'composing' | 'paused';

export type WidgetCommand =
  | { type: 'ping'; ref?: string }
  | { type: 'chat.subscribe'; interactionId: string; token: string; ref?: string }
  | { type: 'chat.send'; interactionId: string; clientMessageId: string; body: string; attachmentIds?: string[]; ref?: string }
  | { type: 'chat.typing'; interactionId: string; state: ChatTypingState; ref?: string }
  /** The widget shows these messages: the agent's single check becomes a double check. */
  | { type: 'chat.received'; interactionId: string; messageIds: string[]; ref?: string }
  | { type: 'chat.end'; interactionId: string; ref?: string }
  | CallInviteWidgetCommand;

export interface ChatQueueInfo {
  state: string;
  position: number | null;
  estimatedWaitSeconds: number | null;
}

export type WidgetServerMessage =
  | { type: 'hello'; website: string }
  | { type: 'pong'; ref?: string }
  | { type: 'ok'; ref?: string }
  /** Answer to chat.subscribe: where the chat stands and its whole visible history. */
  | { type: 'chat.subscribed'; interactionId: string; queue: ChatQueueInfo; messages: ChatMessagePayload[]; ref?: string }
  /** Answer to chat.send: the message is stored (single check); a retry with the same clientMessageId gets the same message. */
  | { type: 'chat.ack'; message: ChatMessagePayload; ref?: string }
  | { type: 'chat.message'; message: ChatMessagePayload }
  | { type: 'chat.delivery'; interactionId: string; messageIds: string[]; state: ChatDeliveryState }
  | { type: 'chat.typing'; interactionId: string; authorKind: 'agent' | 'visitor'; authorName: string | null; state: ChatTypingState }
  | { type: 'chat.queue'; interactionId: string; queue: ChatQueueInfo }
  | { type: 'chat.ended'; interactionId: string; by: 'agent' | 'customer' | 'system'; timedOut: boolean }
  /** The server's event bus was away (Redis down): subscribe again to get what was missed. */
  | { type: 'chat.resync' }
  | CallInviteWidgetMessage
  | { type: 'error'; code: string; message: string; ref?: string };
