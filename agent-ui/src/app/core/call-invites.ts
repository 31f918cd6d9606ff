import { Injectable, computed, effect, inject, signal, untracked } from '@angular/core';
import type { CallInvitePayload } from '@switchboard/protocol';
import { AgentSocket } from './agent-socket';
import { Softphone } from './softphone';

const LIVE = new Set(['pending', 'accepted']);

/**
 * Video (or voice) calls the agent offers from a chat. The visitor joins from the widget; the
 * call then rings this agent's softphone carrying the invite id, and it is answered by itself:
 * the agent asked for it a moment ago, and a second "Answer" click would only keep the visitor
 * waiting. A call naming an invite this agent did not make, or one already over, rings normally.
 */
@Injectable({ providedIn: 'root' })
export class CallInvites {
  private readonly socket = inject(AgentSocket);
  private readonly phone = inject(Softphone);
  private readonly byId = signal<ReadonlyMap<string, CallInvitePayload>>(new Map());
  /** The server's refusal of an invitation, by interaction. */
  readonly errors = signal<ReadonlyMap<string, string>>(new Map());
  private readonly answered = new Set<string>();
  readonly all = computed(() => [...this.byId().values()]);
  /**
   * Softphone calls that answer one of this agent's invitations: they live inside their chat's
   * tab, so the list of calls and the shell leave them out.
   */
  readonly chatCalls = computed(() => new Set(this.phone.calls().filter((c) => !!c.inviteId && this.byId().has(c.inviteId)).map((c) => c.id)));
  /** The softphone's calls without those that belong to a chat. */
  readonly ownCalls = computed(() => this.phone.calls().filter((c) => !this.chatCalls().has(c.id)));

  constructor() {
    this.socket.on('call.invite.state', (m) => this.byId.update((map) => new Map(map).set(m.invite.inviteId, m.invite)));
    this.socket.on('error', (m) => {
      const id = m.ref?.startsWith('invite:') ? m.ref.slice('invite:'.length) : null;
      if (id) this.errors.update((e) => new Map(e).set(id, m.message));
    });
    effect(() => {
      for (const c of this.phone.calls()) {
        if (c.state !== 'ringing' || c.direction !== 'incoming' || !c.inviteId || this.answered.has(c.id)) continue;
        const invite = this.byId().get(c.inviteId);
        if (!invite || !LIVE.has(invite.state)) continue;
        this.answered.add(c.id);
        untracked(() => void this.phone.answer(c.id, invite.video));
      }
    });
  }

  get(inviteId: string): CallInvitePayload | undefined {
    return this.byId().get(inviteId);
  }

  /** The latest invitation of a chat (the one to show), if any. */
  forInteraction(interactionId: string): CallInvitePayload | null {
    return this.all().filter((i) => i.interactionId === interactionId).at(-1) ?? null;
  }

  invite(interactionId: string, video: boolean): boolean {
    this.errors.update((e) => {
      const n = new Map(e);
      n.delete(interactionId);
      return n;
    });
    return this.socket.send({ type: 'call.invite', interactionId, video, ref: 'invite:' + interactionId });
  }

  cancel(inviteId: string): void {
    this.socket.send({ type: 'call.invite.cancel', inviteId });
  }
}
