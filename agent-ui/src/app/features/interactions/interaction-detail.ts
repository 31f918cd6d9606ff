import { ChangeDetectionStrategy, Component, DestroyRef, computed, inject, input, signal } from '@angular/core';
import { ApiError } from '../../core/api';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { ReasonsStore } from '../../core/reasons';
import { WorkStore } from '../../core/work';
import { ChatPane } from '../chat/chat-pane';
import { ChatCall } from '../chat/chat-call';
import { Session } from '../../core/session';
import { Shortcuts } from '../../core/shortcuts';
import { ContextSidebar } from '../context/context-sidebar';
import { Handover } from './handover';
import { MailPane } from '../mail/mail-pane';
import { CallbackPane } from '../callbacks/callback-pane';

/**
 * The selected interaction: its details and how to close it. Channel features (chat, call,
 * mail) add their panes here as they land.
 */
@Component({
  selector: 'sb-interaction-detail',
  imports: [ChatPane, ChatCall, ContextSidebar, Handover, MailPane, CallbackPane],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './interaction-detail.html',
  styleUrl: './interaction-detail.css',
})
export class InteractionDetail {
  private readonly work = inject(WorkStore);
  private readonly clock = inject(Clock);
  private readonly reasons = inject(ReasonsStore);
  protected readonly t = inject(I18n).t;

  readonly interactionId = input.required<string>();
  private readonly session = inject(Session);
  protected readonly me = computed(() => this.session.agent()?.id ?? null);
  protected readonly interaction = computed(() => this.work.interaction(this.interactionId()));
  protected readonly variables = computed(() => Object.entries(this.interaction()?.routingVariables ?? {}));
  protected readonly openFor = computed(() => {
    const at = this.interaction()?.assignedAt;
    return at ? formatDuration(this.clock.now() - Date.parse(at)) : '';
  });

  protected readonly disposing = signal(false);
  protected readonly search = signal('');
  protected readonly busy = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly dispositions = computed(() => {
    const q = this.search().trim().toLowerCase();
    return this.reasons.dispositions().filter((d) => d.id !== 'timeout' && (!q || d.label.toLowerCase().includes(q)));
  });

  constructor() {
    // Alt combinations: they work while the agent is typing in the chat box, where Close is needed.
    const off = inject(Shortcuts).register(
      { keys: 'Alt+C', label: 'shortcuts.close', run: () => void this.close() },
      { keys: 'Alt+D', label: 'shortcuts.closeDispose', run: () => this.disposing.update((d) => !d) },
    );
    inject(DestroyRef).onDestroy(off);
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected async close(disposition?: string): Promise<void> {
    const i = this.interaction();
    if (!i || this.busy()) return;
    this.busy.set(true);
    this.error.set(null);
    try {
      await this.work.close(i.id, disposition);
      this.disposing.set(false);
    } catch (err) {
      this.error.set(this.t('ix.closeFailed', { message: err instanceof ApiError ? err.message : String(err) }));
    } finally {
      this.busy.set(false);
    }
  }
}
