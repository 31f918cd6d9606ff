/**
 * An agent in a chat invites the visitor to a (video) call. The visitor's widget shows the
 * invitation; joining places the call the same way a widget call does, with the invite id, and it
 * rings the inviting agent's softphone (the desktop answers it by itself: the agent asked for it).
 */

export type CallInviteState = 'pending' | 'accepted' | 'declined' | 'cancelled' | 'expired' | 'failed';

export interface CallInvitePayload {
  inviteId: string;
  interactionId: string;
  video: boolean;
  /** Display name of the inviting agent; plain text. */
  agentName: string | null;
  state: CallInviteState;
  expiresAt: string;
  /** Why it failed (state `failed`), in words to show as they are; plain text. */
  reason?: string;
}

/** Agent desktop → server (on /ws/agent). Only an agent assigned to the chat may invite. */
export type CallInviteAgentCommand =
  | { type: 'call.invite'; interactionId: string; video: boolean; ref?: string }
  | { type: 'call.invite.cancel'; inviteId: string; ref?: string };

/** Server → agent desktop: the invitation as it moves (answer to call.invite carries the same). */
export type CallInviteAgentMessage = { type: 'call.invite.state'; invite: CallInvitePayload; ref?: string };

/**
 * Widget → server (on /ws/widget, after chat.subscribe). Accepting is
 * `POST /api/widget/:websiteId/calls` with `{ interactionId, inviteId, video }` and the chat's
 * visitor token; declining is this command.
 */
export type CallInviteWidgetCommand = { type: 'call.invite.decline'; inviteId: string; ref?: string };

/** Server → widget: an invitation appeared, or changed state (cancelled, expired, accepted elsewhere). */
export type CallInviteWidgetMessage = { type: 'call.invite'; invite: CallInvitePayload };
