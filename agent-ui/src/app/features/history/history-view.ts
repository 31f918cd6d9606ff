import type { HistorySearchResult } from '@switchboard/protocol';
import { ChangeDetectionStrategy, Component, computed, inject, signal } from '@angular/core';
import { Api, ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { HistoryRecordView } from './history-record';
import { PAGE_SIZE, historySearchUrl, type HistoryItem, type HistoryQuery } from './history-models';

const CHANNELS = ['chat', 'phone', 'video', 'callback', 'mail'] as const;

/**
 * Past interactions: a search (text, channel, dates) and, beside it, the one opened, read-only.
 * The server decides what is listed (an agent's own, everything for supervisors).
 */
@Component({
  selector: 'sb-history-view',
  imports: [HistoryRecordView],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './history-view.html',
  styleUrl: './history-view.css',
})
export class HistoryView {
  private readonly api = inject(Api);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;
  /** Queue names and dispositions may be given per language in the configuration. */
  protected readonly text = this.i18n.text;
  protected readonly channels = CHANNELS;

  protected readonly query = signal<HistoryQuery>({ q: '', channel: '', from: '', to: '', page: 1 });
  protected readonly items = signal<HistoryItem[]>([]);
  protected readonly total = signal(0);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly opened = signal<string | null>(null);
  protected readonly pages = computed(() => Math.max(1, Math.ceil(this.total() / PAGE_SIZE)));
  /** Searches overtake each other while the agent types dates: only the latest answer counts. */
  private generation = 0;

  constructor() {
    void this.search();
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected date(iso: string | null): string {
    return iso ? new Date(iso).toLocaleString(this.i18n.lang(), { dateStyle: 'medium', timeStyle: 'short' }) : '—';
  }

  protected set(change: Partial<HistoryQuery>): void {
    this.query.update((q) => ({ ...q, ...change }));
  }

  protected submit(e: Event): void {
    e.preventDefault();
    this.set({ page: 1 });
    void this.search();
  }

  protected page(n: number): void {
    if (n < 1 || n > this.pages()) return;
    this.set({ page: n });
    void this.search();
  }

  protected async search(): Promise<void> {
    const gen = ++this.generation;
    this.loading.set(true);
    this.error.set(null);
    try {
      const r = await this.api.get<HistorySearchResult>(historySearchUrl(this.query()));
      if (gen !== this.generation) return;
      this.items.set(r.items);
      this.total.set(r.total);
    } catch (err) {
      if (gen !== this.generation) return;
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      if (gen === this.generation) this.loading.set(false);
    }
  }
}
