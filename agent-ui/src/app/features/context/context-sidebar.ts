import type { ContactJourney, ContactJourneyEvent, ContactPayload, ContactResponse } from '@switchboard/protocol';
import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { Api, ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import { stepLabel } from '../../core/journey-steps';

export type Contact = ContactPayload;
export type JourneyEvent = ContactJourneyEvent;

/** One earlier interaction in the journey: its events, first to last. */
export interface JourneyEntry {
  interactionId: string;
  channel: string | null;
  first: string;
  last: string;
  steps: string[];
}

/** Groups the journey's events by interaction, newest interaction first; the current one (if any) is left out. */
export function journeyEntries(events: JourneyEvent[], current: string | null): JourneyEntry[] {
  const by = new Map<string, JourneyEntry>();
  for (const e of [...events].sort((a, b) => a.at.localeCompare(b.at))) {
    if (!e.interactionId || e.interactionId === current) continue;
    let entry = by.get(e.interactionId);
    if (!entry) {
      entry = { interactionId: e.interactionId, channel: null, first: e.at, last: e.at, steps: [] };
      by.set(e.interactionId, entry);
    }
    entry.last = e.at;
    const ch = e.type.split('.')[0] ?? '';
    if (!entry.channel && ['chat', 'call', 'callback', 'mail', 'video'].includes(ch)) entry.channel = ch === 'call' ? 'phone' : ch;
    if (!entry.steps.includes(e.type)) entry.steps.push(e.type);
  }
  return [...by.values()].sort((a, b) => b.first.localeCompare(a.first));
}

/**
 * A contact (from the contact manager, editable) and their customer journey (earlier interactions
 * on every channel): beside the selected interaction, and for the contact picked in Contacts.
 */
@Component({
  selector: 'sb-context-sidebar',
  changeDetection: ChangeDetectionStrategy.OnPush,
  templateUrl: './context-sidebar.html',
  styleUrl: './context-sidebar.css',
})
export class ContextSidebar {
  private readonly api = inject(Api);
  private readonly i18n = inject(I18n);
  protected readonly t = this.i18n.t;

  /** The contact shown; null when the interaction has none. */
  readonly contactId = input.required<string | null>();
  /** The interaction being handled, left out of the journey since it is on screen already. */
  readonly interactionId = input<string | null>(null);
  protected readonly contact = signal<Contact | null>(null);
  /** The journey's events read so far, newest first: a page, and each further page asked for. */
  private readonly events = signal<JourneyEvent[]>([]);
  protected readonly journey = computed(() => journeyEntries(this.events(), this.interactionId()));
  /** Where the journey goes on; null once it is all shown. */
  protected readonly nextCursor = signal<string | null>(null);
  protected readonly loadingMore = signal(false);
  protected readonly loading = signal(false);
  protected readonly error = signal<string | null>(null);
  protected readonly editing = signal(false);
  protected readonly saving = signal(false);
  protected readonly saved = signal(false);
  protected readonly form = signal({ name: '', email: '', phone: '' });
  protected readonly fieldErrors = signal<Record<string, string>>({});
  protected readonly customFields = computed(() => Object.entries(this.contact()?.customFields ?? {}));

  constructor() {
    effect(() => {
      const id = this.contactId();
      // Another interaction of the same contact reads the journey afresh; an update of this one keeps the pages shown.
      this.interactionId();
      untracked(() => void this.load(id));
    });
  }

  protected label(key: string): string {
    return this.t(key as MessageKey);
  }

  protected step(type: string): string {
    return stepLabel(this.t, type);
  }

  protected date(iso: string): string {
    return new Date(iso).toLocaleString(this.i18n.lang(), { dateStyle: 'medium', timeStyle: 'short' });
  }

  private async load(contactId: string | null): Promise<void> {
    this.contact.set(null);
    this.events.set([]);
    this.nextCursor.set(null);
    this.editing.set(false);
    this.saved.set(false);
    this.error.set(null);
    if (!contactId) return;
    this.loading.set(true);
    try {
      const [c, j] = await Promise.all([
        this.api.get<ContactResponse>(`/api/contacts/${contactId}`).then((r) => r.contact),
        this.api.get<ContactJourney>(`/api/contacts/${contactId}/journey`),
      ]);
      if (this.contactId() !== contactId) return;
      this.contact.set(c);
      this.events.set(j.events);
      this.nextCursor.set(j.nextCursor);
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.loading.set(false);
    }
  }

  /** The journey's next page, added to what is shown (an interaction split across pages joins up again). */
  protected async showMore(): Promise<void> {
    const contactId = this.contactId();
    const cursor = this.nextCursor();
    if (!contactId || !cursor || this.loadingMore()) return;
    this.loadingMore.set(true);
    this.error.set(null);
    try {
      const j = await this.api.get<ContactJourney>(`/api/contacts/${contactId}/journey?cursor=${encodeURIComponent(cursor)}`);
      // Another interaction may have been selected meanwhile: its journey is not this one's.
      if (this.contactId() !== contactId || this.nextCursor() !== cursor) return;
      this.events.update((seen) => [...seen, ...j.events]);
      this.nextCursor.set(j.nextCursor);
    } catch (err) {
      if (this.contactId() === contactId) this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.loadingMore.set(false);
    }
  }

  protected edit(): void {
    const c = this.contact();
    if (!c) return;
    this.form.set({ name: c.name ?? '', email: c.email ?? '', phone: c.phone ?? '' });
    this.fieldErrors.set({});
    this.saved.set(false);
    this.editing.set(true);
  }

  protected setField(field: 'name' | 'email' | 'phone', value: string): void {
    this.form.update((f) => ({ ...f, [field]: value }));
  }

  protected async save(e: Event): Promise<void> {
    e.preventDefault();
    const c = this.contact();
    if (!c || this.saving()) return;
    const f = this.form();
    const orNull = (v: string) => (v.trim() ? v.trim() : null);
    this.saving.set(true);
    this.error.set(null);
    this.fieldErrors.set({});
    try {
      const r = await this.api.patch<ContactResponse>(`/api/contacts/${c.id}`, { name: orNull(f.name), email: orNull(f.email), phone: orNull(f.phone) });
      this.contact.set(r.contact);
      this.editing.set(false);
      this.saved.set(true);
    } catch (err) {
      if (err instanceof ApiError && err.fields.length) {
        this.fieldErrors.set(Object.fromEntries(err.fields.map((x) => [x.field, x.problem])));
      }
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.saving.set(false);
    }
  }
}
