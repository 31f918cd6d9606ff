import type { ContactJourney, ContactJourneyEvent, ContactPayload, ContactResponse } from '@switchboard/protocol';
import { ChangeDetectionStrategy, Component, computed, effect, inject, input, signal, untracked } from '@angular/core';
import { Api, ApiError } from '../../core/api';
import { I18n } from '../../core/i18n';
import type { MessageKey } from '../../core/i18n/en';
import type { InteractionPayload } from '../../core/work';
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

/** Groups the journey's events by interaction, newest interaction first; the current one is left out. */
export function journeyEntries(events: JourneyEvent[], current: string): JourneyEntry[] {
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
 * The context of the selected interaction: its contact (from the contact manager, editable)
 * and the customer journey (earlier interactions on every channel).
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

  readonly interaction = input.required<InteractionPayload>();
  protected readonly contactId = computed(() => this.interaction().contactId);
  protected readonly contact = signal<Contact | null>(null);
  protected readonly journey = signal<JourneyEntry[]>([]);
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
      const current = this.interaction().id;
      untracked(() => void this.load(id, current));
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

  private async load(contactId: string | null, current: string): Promise<void> {
    this.contact.set(null);
    this.journey.set([]);
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
      this.journey.set(journeyEntries(j.events, current));
    } catch (err) {
      this.error.set(err instanceof ApiError ? err.message : String(err));
    } finally {
      this.loading.set(false);
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
