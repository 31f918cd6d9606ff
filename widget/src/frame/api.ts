// Calls to Switchboard from the frame: same origin, so no credentials or CORS to think about.
export type Channel = 'chat' | 'call' | 'video' | 'callback' | 'mail';

export type Field =
  | { type: 'label'; text: string }
  | { type: 'text' | 'textarea'; name: string; label: string; required: boolean; maxLength: number; mapsTo?: unknown }
  | { type: 'email'; name: string; label: string; required: boolean; mapsTo?: unknown }
  | { type: 'number'; name: string; label: string; required: boolean; min?: number; max?: number; mapsTo?: unknown }
  | { type: 'select' | 'radio' | 'checkboxes'; name: string; label: string; required: boolean; options: { value: string; label: string }[]; mapsTo?: unknown }
  | { type: 'agreement'; name: string; label: string; required: boolean; text: string; mapsTo?: unknown }
  | { type: 'attachment'; name: string; label: string; required: boolean; maxBytes: number; acceptedTypes: string[]; mapsTo?: unknown };

export interface WidgetConfig {
  website: { id: string; name: string };
  look: { title: string; primaryColor: string; position: 'left' | 'right'; logoUrl?: string; language?: 'en' | 'it' | 'fr' };
  channels: Record<Channel, { enabled: boolean }>;
  forms: Record<Channel | 'offline', Field[]>;
  messages: { closed?: Record<string, string>; unmanaged?: Record<string, string>; welcome?: Record<string, string> };
  uploads: { maxFileBytes: number; maxFiles: number; acceptedTypes: string[] };
  bot: { options: { id: string; label: string }[] };
  hours: { open: boolean; closesAt: string | null; nextOpening: string | null };
  transcriptByMail: boolean;
}

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
  const json = (await res.json().catch(() => ({}))) as { error?: { code?: string; message: string; fields?: { field: string; problem: string }[] } };
  if (!res.ok) throw new ApiError(res.status, json.error?.message ?? `HTTP ${res.status}`, json.error?.fields, json.error?.code);
  return json as T;
}
