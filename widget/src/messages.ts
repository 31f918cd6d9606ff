/**
 * The one postMessage protocol between the loader (on the website's page) and the frame (served
 * from Switchboard). Every message carries the namespace and version; each side posts with an
 * explicit target origin and accepts only messages from the other window and its origin.
 */
import type { Language } from './look';

export const NS = 'switchboard.widget';
export const VERSION = 1;

export type { Language } from './look';

export interface ContactDetails {
  name?: string;
  email?: string;
  phone?: string;
}

export interface StartChatOptions {
  name?: string;
  email?: string;
  fields?: Record<string, unknown>;
  /** A first line sent as soon as the chat exists. */
  message?: string;
  /** Bot option id, when the website has an option menu. */
  option?: string;
}

export interface InitOptions {
  language?: Language;
  contact?: ContactDetails;
}

/** Events the site can listen to with Switchboard.on(name, fn). */
export interface WidgetEvents {
  ready: Record<string, never>;
  open: Record<string, never>;
  close: Record<string, never>;
  availability: unknown;
  'chat.started': { interactionId: string; outcome: string };
  'chat.ended': { interactionId: string; by: string };
  'chat.message': { interactionId: string; authorKind: string; authorName: string | null; body: string; createdAt: string };
  'agent.joined': { interactionId: string; name: string | null };
  'call.ended': { interactionId: string | null; keptPlace: boolean };
}
export type WidgetEventName = keyof WidgetEvents;

export type HostToFrame =
  | { ns: typeof NS; v: typeof VERSION; type: 'init'; options: InitOptions }
  | { ns: typeof NS; v: typeof VERSION; type: 'request'; id: number; method: 'startChat'; args: StartChatOptions }
  | { ns: typeof NS; v: typeof VERSION; type: 'request'; id: number; method: 'setContact'; args: ContactDetails }
  | { ns: typeof NS; v: typeof VERSION; type: 'visible'; visible: boolean };

export type FrameToHost =
  /** The frame runs (sent first thing): the browser let it in where the page is. */
  | { ns: typeof NS; v: typeof VERSION; type: 'hello' }
  | { ns: typeof NS; v: typeof VERSION; type: 'ready' }
  | { ns: typeof NS; v: typeof VERSION; type: 'close' }
  | { ns: typeof NS; v: typeof VERSION; type: 'response'; id: number; ok: boolean; value?: unknown; error?: string }
  | { ns: typeof NS; v: typeof VERSION; type: 'event'; name: WidgetEventName; data: unknown }
  /** While the widget is closed: how many things wait for the visitor (agent lines, a call invitation), and how to say it. */
  | { ns: typeof NS; v: typeof VERSION; type: 'attention'; count: number; label: string };

type Distribute<T> = T extends unknown ? Omit<T, 'ns' | 'v'> : never;
export type HostMessage = Distribute<HostToFrame>;
export type FrameMessage = Distribute<FrameToHost>;

export function wrap<T extends object>(m: T): T & { ns: typeof NS; v: typeof VERSION } {
  return { ...m, ns: NS, v: VERSION };
}

/** A message of our protocol (any other postMessage traffic on the page is ignored). */
export function isOurs(data: unknown): data is { ns: string; v: number; type: string } {
  return typeof data === 'object' && data !== null && (data as { ns?: unknown }).ns === NS && (data as { v?: unknown }).v === VERSION && typeof (data as { type?: unknown }).type === 'string';
}
