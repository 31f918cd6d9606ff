import { ChangeDetectionStrategy, Component, effect, inject, input, signal, untracked } from '@angular/core';
import { Api, ApiError } from '../../core/api';
import { I18n, formatDuration } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { stepLabel } from '../../core/journey-steps';
import { Session } from '../../core/session';
import { transcriptUrl, type HistoryCall, type HistoryRecord } from './history-models';

/**
 * One past interaction, read-only: who, where, the messages (notes set apart), the calls and the
 * timeline, and its PDF transcript. The with-attachments download is offered only to those the
 * server gives the permission; the server refuses it to everyone else anyway.
 */
@Component({
  selector: 'sb-history-record',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './history-record.html',
  styleUrl: './history-record.css',
})
export class HistoryRecordView {
  private readonly api = inject(Api);
  private readonly i18n = inject(I18n);
  protected readonly session = inject(Session);
  protected readonly t = this.i18n.t;
  /** Queue names and dispositions may be given per language in the configuration. */
  protected readonly text = this.i18n.text;

  readonly interactionId = input.required<string>();
  protected readonly record = signal<HistoryRecord | null>(null);
  protected readonly error = signal<string | null>(null);
  protected readonly pdf = transcriptUrl;

  constructor() {
    effect(() => {
      const id = this.interactionId();
      untracked(() => void this.load(id));
    });
  }

  private async load(id: string): Promise<void> {
    this.record.set(null);
    this.error.set(null);
    try {
      const r = await this.api.get<HistoryRecord>(`/api/history/interactions/${encodeURIComponent(id)}`);
      if (this.interactionId() === id) this.record.set(r);
    } catch (err) {
      if (this.interactionId() === id) this.error.set(err instanceof ApiError ? err.message : String(err));
    }
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected step(type: string): string {
    return stepLabel(this.t, type);
  }

  /** A rating's value beside its journey step ("4 of 5"). */
  protected rated(e: HistoryRecord['journey'][number]): string | null {
    const rating = e.type === 'csat.rated' ? Number(e.data?.['rating']) : NaN;
    return Number.isInteger(rating) ? this.t('history.csatValue', { rating }) : null;
  }

  protected date(iso: string | null): string {
    return iso ? new Date(iso).toLocaleString(this.i18n.lang(), { dateStyle: 'medium', timeStyle: 'short' }) : '—';
  }

  protected time(iso: string): string {
    return new Date(iso).toLocaleTimeString(this.i18n.lang(), { hour: '2-digit', minute: '2-digit' });
  }

  protected callLength(c: HistoryCall): string {
    return c.answeredAt && c.endedAt ? formatDuration(Date.parse(c.endedAt) - Date.parse(c.answeredAt)) : this.t('history.notAnswered');
  }
}
