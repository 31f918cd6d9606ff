import { ChangeDetectionStrategy, Component, inject, input, output } from '@angular/core';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { ChatStore } from '../../core/chat';
import { Softphone, type PhoneCall } from '../../core/softphone';
import { CallInvites } from '../../core/call-invites';
import { WorkStore, type InteractionPayload } from '../../core/work';

/** Every open interaction of every channel, oldest first; the selected one fills the detail. */
@Component({
  selector: 'sb-interaction-list',
  changeDetection: ChangeDetectionStrategy.OnPush,
  template: `
    <h2>{{ t('work.title') }} <span class="count">{{ work.interactions().length + calls().length }}</span></h2>
    @if (work.interactions().length === 0 && calls().length === 0) {
      <p class="muted">{{ t('work.empty') }}</p>
    }
    <ul role="listbox" [attr.aria-label]="t('work.title')">
      @for (c of calls(); track c.id) {
        <li role="option" [attr.aria-selected]="c.id === selected()" [class.selected]="c.id === selected()" [class.ringing]="c.state === 'ringing'"
          (click)="select.emit(c.id)" (keydown.enter)="select.emit(c.id)" tabindex="0" data-test="call" [attr.data-call]="c.id">
          <span class="channel phone">{{ t(c.offersVideo ? 'channel.video' : 'channel.phone') }}</span>
          <span class="name">{{ c.context.name || c.displayName || c.number || t('offer.unknownCustomer') }}</span>
          <span class="time">{{ callTime(c) }}</span>
          <span class="sub">{{ c.context.website || t(c.direction === 'incoming' ? 'phone.incoming' : 'phone.outgoing') }}</span>
          <span class="state">{{ callState(c) }}</span>
        </li>
      }
      @for (i of work.interactions(); track i.id) {
        <li role="option" [attr.aria-selected]="i.id === selected()" [class.selected]="i.id === selected()" (click)="select.emit(i.id)"
          (keydown.enter)="select.emit(i.id)" tabindex="0" data-test="interaction" [attr.data-interaction]="i.id">
          <span class="channel" [class]="i.channel">{{ label('channel.' + i.channel) }}</span>
          <span class="name">{{ i.customerName || t('offer.unknownCustomer') }}
            @if (chat.unread(i.id); as n) { <span class="unread" data-test="unread" [attr.aria-label]="t('work.unread', { count: n })">{{ n }}</span> }</span>
          <span class="time">{{ since(i) }}</span>
          <span class="sub">{{ i.subject || i.queueId }}</span>
          <span class="state">{{ label('ix.state.' + i.state) }}</span>
        </li>
      }
    </ul>
  `,
  styles: `
    h2 { margin: 0 0 12px; font-size: 15px; display: flex; gap: 8px; align-items: center; }
    .count { padding: 0 8px; border-radius: 999px; background: var(--hover); font-size: 12px; }
    ul { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
    li { display: grid; grid-template-columns: auto 1fr auto; gap: 2px 8px; padding: 10px; border: 1px solid var(--line); border-radius: 8px; cursor: pointer; background: #fff; }
    li:hover { background: var(--hover); }
    li.selected { border-color: var(--accent); box-shadow: inset 3px 0 0 var(--accent); }
    .channel { font-size: 11px; font-weight: 700; text-transform: uppercase; color: var(--accent); align-self: center; }
    .channel.phone, .channel.video { color: var(--ok); }
    .channel.mail, .channel.callback { color: var(--warn); }
    .name { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .time { font-size: 12px; color: var(--muted); font-variant-numeric: tabular-nums; }
    .sub { grid-column: 1 / 3; font-size: 12px; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .state { font-size: 12px; color: var(--muted); }
    .unread { display: inline-block; min-width: 18px; margin-left: 6px; padding: 0 5px; border-radius: 999px; background: var(--danger); color: #fff; font-size: 11px; text-align: center; }
    li.ringing { border-color: var(--ok); background: #eefaf3; }
  `,
})
export class InteractionList {
  protected readonly work = inject(WorkStore);
  protected readonly phone = inject(Softphone);
  /** Calls from a chat's video invitation are shown in the chat, not here. */
  protected readonly calls = inject(CallInvites).ownCalls;
  protected readonly chat = inject(ChatStore);
  private readonly clock = inject(Clock);
  protected readonly t = inject(I18n).t;
  readonly selected = input<string | null>(null);
  readonly select = output<string>();

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected callTime(c: PhoneCall): string {
    return c.answeredAt && c.state === 'connected' ? formatDuration(this.clock.now() - c.answeredAt) : '';
  }

  protected callState(c: PhoneCall): string {
    if (c.state === 'connected' && c.held) return this.t('phone.state.held');
    return this.label('phone.state.' + c.state);
  }

  protected since(i: InteractionPayload): string {
    return i.assignedAt ? formatDuration(this.clock.now() - Date.parse(i.assignedAt)) : '';
  }
}
