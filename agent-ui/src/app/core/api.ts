import { HttpClient, HttpErrorResponse } from '@angular/common/http';
import { Injectable, inject } from '@angular/core';
import { firstValueFrom } from 'rxjs';
import type { ApiErrorBody } from '@switchboard/protocol';

/** A failed API call, carrying the server's stable code and its human message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: { field: string; problem: string }[] = [],
  ) {
    super(message);
  }

  /** Status 0 means the request never got an answer: the server or the network is down. */
  get unreachable(): boolean {
    return this.status === 0;
  }
}

/** What an answer may carry: the server's error body, or anything a proxy put there. */
type ErrorBody = Partial<{ error: Partial<ApiErrorBody['error']> }>;

/**
 * The REST API, authenticated by the HttpOnly session cookie: the token never reaches script,
 * so an injected script cannot carry it away.
 */
@Injectable({ providedIn: 'root' })
export class Api {
  private readonly http = inject(HttpClient);
  /** Called when any call but the login answers 401: the session is gone (set by Session). */
  onUnauthorized: (() => void) | null = null;

  get<T>(path: string): Promise<T> {
    return this.call(path, this.http.get<T>(path, { withCredentials: true }));
  }

  post<T>(path: string, body: unknown = {}): Promise<T> {
    return this.call(path, this.http.post<T>(path, body, { withCredentials: true }));
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call(path, this.http.patch<T>(path, body, { withCredentials: true }));
  }

  delete<T>(path: string): Promise<T> {
    return this.call(path, this.http.delete<T>(path, { withCredentials: true }));
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.call(path, this.http.put<T>(path, body, { withCredentials: true }));
  }

  private async call<T>(path: string, req: Parameters<typeof firstValueFrom<T>>[0]): Promise<T> {
    try {
      return await firstValueFrom(req);
    } catch (err) {
      const e = toApiError(err);
      if (e.status === 401 && path !== '/api/auth/login') this.onUnauthorized?.();
      throw e;
    }
  }
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof HttpErrorResponse) {
    const body = (err.error ?? {}) as ErrorBody;
    return new ApiError(err.status, body.error?.code ?? (err.status === 0 ? 'unreachable' : 'http_' + err.status), body.error?.message ?? err.message, body.error?.fields);
  }
  return new ApiError(0, 'unreachable', String(err));
}
