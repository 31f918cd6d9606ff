import { ChangeDetectionStrategy, Component, computed, inject, input, signal } from '@angular/core';
import { ApiError } from '../../core/api';
import { Clock } from '../../core/clock';
import { I18n, formatDuration } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { ReasonsStore } from '../../core/reasons';
import { WorkStore } from '../../core/work';
import { ChatPane } from '../chat/chat-pane';
import { ContextSidebar } from '../context/context-sidebar';
import { Handover } from './handover';

/**
 * The selected interaction: its details and how to close it. Channel features (chat, call,
 * mail) add their panes here as they land.
 */
@Component({
  selector: 'sb-interaction-detail',
  imports: [ChatPane, ContextSidebar, Handover],
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
    return this.reasons.reasons().dispositions.filter((d) => d.id !== 'timeout' && (!q || d.label.toLowerCase().includes(q)));
  });

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
