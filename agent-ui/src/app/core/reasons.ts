import { Injectable, inject, signal } from '@angular/core';
import { Api } from './api';
import type { Reasons } from './models';

/** Not-ready reasons and dispositions from the server's reasons.yaml; loaded once per login. */
@Injectable({ providedIn: 'root' })
export class ReasonsStore {
  private readonly api = inject(Api);
  readonly reasons = signal<Reasons>({ notReady: [], dispositions: [] });
  private loading: Promise<void> | undefined;

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

  label(id: string | null): string | null {
    if (!id) return null;
    return this.reasons().notReady.find((r) => r.id === id)?.label ?? id;
  }
}
