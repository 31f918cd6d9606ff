import type { ContactPayload, ContactSearch } from '@switchboard/protocol';
import { ChangeDetectionStrategy, Component, DestroyRef, inject, signal } from '@angular/core';
import { Api, ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import { ContextSidebar } from '../context/context-sidebar';

/** How long typing pauses before the words typed are searched (Enter searches at once). */
export const SEARCH_DELAY_MS = 300;

/** The search's URL: the words (none lists every contact, most recently changed first) and where the list goes on. */
export function contactSearchUrl(q: string, cursor: string | null): string {
  const params = new URLSearchParams();
  if (q) params.set('q', q);
  if (cursor) params.set('cursor', cursor);
  const qs = params.toString();
  return qs ? `/api/contacts?${qs}` : '/api/contacts';
}

/**
 * The contacts an agent may look up, by name, email or phone, and, beside the list, the one picked:
 * its details and journey. The server lists only the contacts the agent may see (security.contacts).
 */
@Component({
  selector: 'sb-contacts-view',
  imports: [ContextSidebar],
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './contacts-view.html',
  styleUrl: './contacts-view.css',
})
export class ContactsView {
  private readonly api = inject(Api);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;

  protected readonly q = signal('');
  protected readonly contacts = signal<ContactPayload[]>([]);
  /** Where the list goes on; null once it is all shown. */
  protected readonly nextCursor = signal<string | null>(null);
  protected readonly loading = signal(false);
  protected readonly loadingMore = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly selected = signal<string | null>(null);
  /** The words the list shown was searched with: its cursor goes on with those only. */
  private listed = '';
  /** Searches overtake each other while the agent types: only the latest one's answers count. */
  private generation = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    inject(DestroyRef).onDestroy(() => clearTimeout(this.timer));
    void this.search();
  }

  protected date(iso: string): string {
    return new Date(iso).toLocaleString(this.i18n.lang(), { dateStyle: 'medium', timeStyle: 'short' });
  }

  protected typed(value: string): void {
    this.q.set(value);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.search(), SEARCH_DELAY_MS);
  }

  protected submit(e: Event): void {
    e.preventDefault();
    void this.search();
  }

  protected async search(): Promise<void> {
    clearTimeout(this.timer);
    const gen = ++this.generation;
    const q = this.q().trim();
    this.loading.set(true);
    this.loadingMore.set(false);
    this.error.set(null);
    try {
      const r = await this.api.get<ContactSearch>(contactSearchUrl(q, null));
      if (gen !== this.generation) return;
      this.listed = q;
      this.contacts.set(r.contacts);
      this.nextCursor.set(r.nextCursor);
    } catch (err) {
      if (gen !== this.generation) return;
      this.contacts.set([]);
      this.nextCursor.set(null);
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      if (gen === this.generation) this.loading.set(false);
    }
  }

  /** The list's next page, added below what is shown. */
  protected async showMore(): Promise<void> {
    const cursor = this.nextCursor();
    if (!cursor || this.loadingMore() || this.loading()) return;
    const gen = this.generation;
    this.loadingMore.set(true);
    this.error.set(null);
    try {
      const r = await this.api.get<ContactSearch>(contactSearchUrl(this.listed, cursor));
      // A new search started meanwhile: this page belongs to the list it replaced.
      if (gen !== this.generation) return;
      this.contacts.update((shown) => [...shown, ...r.contacts]);
      this.nextCursor.set(r.nextCursor);
    } catch (err) {
      if (gen === this.generation) this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      if (gen === this.generation) this.loadingMore.set(false);
    }
  }
}
