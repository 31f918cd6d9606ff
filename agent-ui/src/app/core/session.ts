import { Injectable, computed, inject, signal } from '@angular/core';
import { Router } from '@angular/router';
import { Api, ApiError } from './api';
import type { AgentProfile, AgentStatusPayload, Me } from './models';

/** Why the login screen is showing, so it can say so. */
export type EndReason = 'revoked' | 'expired' | 'password-changed' | 'logged-out';

/** Who is logged in and their agent state; the one source every screen reads. */
@Injectable({ providedIn: 'root' })
export class Session {
  private readonly api = inject(Api);
  private readonly router = inject(Router);

  readonly agent = signal<AgentProfile | null>(null);
  readonly status = signal<AgentStatusPayload | null>(null);
  readonly signedIn = computed(() => this.agent() !== null);
  readonly permissions = signal<ReadonlySet<string>>(new Set());
  readonly isSupervisor = computed(() => this.agent()?.role === 'supervisor' || this.agent()?.role === 'admin');
  /**
   * When the current wrap-up ends (epoch ms), learnt from the interaction this tab closed: the
   * fallback for a server whose status does not carry `wrapUpUntil` yet.
   */
  readonly wrapUpUntil = signal<number | null>(null);
  /**
   * Set while this tab itself ends every session (logout, password change): the server's
   * "revoked" close of our own socket may arrive before the HTTP answer and must not read as
   * "logged out from elsewhere".
   */
  private ending: EndReason | null = null;

  constructor() {
    // A 401 on any call means the session ended behind our back (expired, revoked while the
    // socket was down): the agent must see the login screen, not a string of failing buttons.
    this.api.onUnauthorized = () => this.end('expired');
  }

  /** Asks the server whether the cookie still holds a session. */
  async restore(): Promise<boolean> {
    try {
      this.apply(await this.api.get<Me>('/api/auth/me'));
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        this.clear();
        return false;
      }
      throw err;
    }
  }

  async login(username: string, password: string): Promise<void> {
    await this.api.post('/api/auth/login', { username, password });
    // The login answer carries no state; /me gives both in one shape.
    this.apply(await this.api.get<Me>('/api/auth/me'));
  }

  async logout(): Promise<void> {
    this.ending = 'logged-out';
    try {
      await this.api.post('/api/auth/logout');
    } finally {
      this.end('logged-out');
    }
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<void> {
    this.ending = 'password-changed';
    try {
      await this.api.post('/api/auth/password', { currentPassword, newPassword });
    } catch (err) {
      this.ending = null;
      throw err;
    }
    this.end('password-changed');
  }

  async setState(state: 'available' | 'not-ready' | 'logged-out', reason?: string): Promise<void> {
    this.updateStatus(await this.api.put<AgentStatusPayload>('/api/agents/me/state', reason ? { state, reason } : { state }));
  }

  /** Takes a status pushed by the server; supervisors also receive everyone else's. */
  updateStatus(status: AgentStatusPayload): void {
    if (status.agentId === this.agent()?.id) this.status.set(status);
  }

  /** The session is over (here or elsewhere): back to the login screen, saying why. */
  end(reason: EndReason): void {
    if (!this.signedIn()) return;
    const why = this.ending ?? reason;
    this.ending = null;
    this.clear();
    void this.router.navigate(['/login'], { queryParams: { ended: why } });
  }

  private apply(me: Me): void {
    this.agent.set(me.agent);
    this.status.set(me.status);
    this.permissions.set(new Set(me.permissions ?? []));
  }

  private clear(): void {
    this.wrapUpUntil.set(null);
    this.agent.set(null);
    this.status.set(null);
    this.permissions.set(new Set());
  }
}
