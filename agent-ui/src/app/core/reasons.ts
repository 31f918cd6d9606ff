import { Injectable, computed, inject, signal } from '@angular/core';
import { Api } from './api';
import { I18n } from './i18n';
import type { Reasons } from './models';

/** Not-ready reasons and dispositions from the server's reasons.yaml; loaded once per login. */
@Injectable({ providedIn: 'root' })
export class ReasonsStore {
  private readonly api = inject(Api);
  private readonly i18n = inject(I18n);
  readonly reasons = signal<Reasons>({ notReady: [], dispositions: [] });
  private loading: Promise<void> | undefined;
  /** The reasons with their words in the agent's language. */
  readonly notReady = computed(() => this.reasons().notReady.map((r) => ({ id: r.id, label: this.i18n.text(r.label) || r.id })));
  readonly dispositions = computed(() => this.reasons().dispositions.map((r) => ({ id: r.id, label: this.i18n.text(r.label) || r.id })));

  load(): Promise<void> {
    this.loading ??= this.api.get<Reasons>('/api/reasons').then(
      (r) => this.reasons.set(r),
      (err: unknown) => {
        this.loading = undefined;
        throw err;
      },
    );
    return this.loading;
  }

  /** A Not-ready reason's words in the agent's language; its id when the server has no such reason. */
  label(id: string | null): string | null {
    if (!id) return null;
    return this.notReady().find((r) => r.id === id)?.label ?? id;
  }
}
