// Calls to Switchboard from the frame: same origin, so no credentials or CORS to think about.
import type { ApiErrorBody, FormField, WidgetChannel } from '@switchboard/protocol';

export type { WidgetConfig } from '@switchboard/protocol';
export type Channel = WidgetChannel;
/** One field of a website's form; labels and texts are the website's (shown with txt()). */
export type Field = FormField;

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly fields: { field: string; problem: string }[] = [],
    /** The server's error code, for the few answers the widget words in the visitor's language. */
    readonly code = '',
  ) {
    super(message);
  }
}

export const websiteId = decodeURIComponent(location.pathname.split('/').filter(Boolean).pop() ?? '');
export const apiBase = `/api/widget/${encodeURIComponent(websiteId)}`;
/** The widget socket: a chat's lines, and the device test's round trip. */
export const widgetSocketUrl = () => `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/widget?website=${encodeURIComponent(websiteId)}`;

export async function call<T>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(apiBase + path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network');
  }
  const json = (await res.json().catch(() => ({}))) as Partial<ApiErrorBody>;
  if (!res.ok) throw new ApiError(res.status, json.error?.message ?? `HTTP ${res.status}`, json.error?.fields, json.error?.code);
  return json as T;
}
