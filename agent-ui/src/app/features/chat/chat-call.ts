import { ChangeDetectionStrategy, Component, computed, inject, input } from '@angular/core';
import { CallInvites } from '../../core/call-invites';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { Softphone } from '../../core/softphone';
import { CallPanel } from '../softphone/call-panel';

/**
 * A call started from a chat, inside the chat's own tab: the Video call button, the invitation
 * while the visitor decides, and once they join, the call (answered by itself) with its video.
 */
@Component({
  selector: 'sb-chat-call',
  imports: [CallPanel],
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    @let inv = invite();
    @if (call(); as c) {
      <section class="call" data-test="chat-call" [attr.data-state]="c.state">
        <sb-call-panel [callId]="c.id" />
      </section>
    } @else if (inv && waiting()) {
      <p class="status" role="status" data-test="call-invite" [attr.data-state]="inv.state">
        {{ t(inv.state === 'pending' ? 'invite.pending' : 'invite.accepted') }}
        <button type="button" (click)="invites.cancel(inv.inviteId)" data-test="call-invite-cancel">{{ t('invite.cancel') }}</button>
      </p>
    } @else {
      <div class="start">
        <button type="button" (click)="start(true)" [disabled]="!canInvite()" [title]="phoneReady() ? t('invite.videoHelp') : t('invite.noPhone')" data-test="video-call">{{ t('invite.video') }}</button>
        @if (inv && !callEnded()) {
          <span class="muted" role="status" data-test="call-invite-ended" [attr.data-state]="inv.state">{{ label('invite.state.' + inv.state) }}</span>
        }
        @if (error(); as message) { <span class="alert error" role="alert" data-test="call-invite-error">{{ message }}</span> }
      </div>
    }
  `,
  styles: `
    :host { display: block; margin: 0 0 8px; }
    .status { margin: 0; padding: 6px 10px; border-radius: 6px; background: var(--hover); display: flex; gap: 8px; align-items: center; justify-content: space-between; }
    .start { display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
    .call { border: 1px solid var(--line); border-radius: 8px; background: #fff; }
    .call sb-call-panel { display: block; padding: 8px 12px; }
  `,
})
export class ChatCall {
  protected readonly invites = inject(CallInvites);
  private readonly phone = inject(Softphone);
  protected readonly t = inject(I18n).t;
  readonly interactionId = input.required<string>();
  readonly owner = input(true);

  protected readonly invite = computed(() => this.invites.forInteraction(this.interactionId()));
  protected readonly error = computed(() => this.invites.errors().get(this.interactionId()) ?? null);
  /** The softphone call of this chat's invitation (the server names the interaction and the invite). */
  protected readonly call = computed(() => {
    const mine = new Set(this.invites.all().filter((i) => i.interactionId === this.interactionId()).map((i) => i.inviteId));
    return this.phone.calls().find((c) => !!c.inviteId && mine.has(c.inviteId) && c.state !== 'ended') ?? null;
  });
  /** The invitation's call came and went: the invitation is spent, whatever state it was left in. */
  protected readonly callEnded = computed(() => {
    const inv = this.invite();
    return !!inv && this.phone.calls().some((c) => c.inviteId === inv.inviteId && c.state === 'ended');
  });
  protected readonly waiting = computed(() => {
    const inv = this.invite();
    return !!inv && (inv.state === 'pending' || inv.state === 'accepted') && !this.callEnded();
  });
  protected readonly phoneReady = computed(() => this.phone.registration() === 'registered');
  protected readonly canInvite = computed(() => this.owner() && this.phoneReady());

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected start(video: boolean): void {
    this.invites.invite(this.interactionId(), video);
  }
}
