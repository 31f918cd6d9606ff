// The only code that runs on the website's page. It stays small: the bubble, the public API
// (queued until the frame answers), availability polling for the site's bot, and the iframe that
// holds everything else, created when the visitor (or the site) opens the widget — at once, hidden,
// on a page that is itself framed, to learn whether the browser lets it in there.
import type { WebsiteAvailability, WidgetChannel, WidgetConfig } from '@switchboard/protocol';
import { localText, pickLanguage, textOn } from '../look';
import { isOurs, wrap, type ContactDetails, type FrameToHost, type HostMessage, type InitOptions, type StartChatOptions, type WidgetEventName } from '../messages';

type Look = WidgetConfig['look'];

type Listener = (data: unknown) => void;

const script = document.currentScript as HTMLScriptElement | null;
const websiteId = script?.dataset.switchboardWebsite ?? '';
const base = script ? new URL('../', script.src).href.replace(/\/$/, '') : '';
const serverOrigin = base ? new URL(base).origin : '';
const apiBase = `${base}/api/widget/${encodeURIComponent(websiteId)}`;

const listeners = new Map<string, Set<Listener>>();
const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
let outbox: HostMessage[] = [];
let nextId = 1;
let frame: HTMLIFrameElement | null = null;
let panel: HTMLDivElement | null = null;
let bubble: HTMLButtonElement | null = null;
let frameReady = false;
let isOpen = false;
let look: Look | null = null;
let badge: HTMLSpanElement | null = null;
let options: InitOptions = {};
let pollTimer: ReturnType<typeof setInterval> | undefined;
/** What the bubble counts (while the widget is closed), for its accessible name. */
let waiting = { count: 0, label: '' };
/** A window of this page's origin that the page's scripts have not touched: its fetch is the browser's own. */
let net: Window | null = null;
/** Called when the frame first speaks: it was let in. */
let heard: (() => void) | null = null;

function emit(name: string, data: unknown): void {
  for (const fn of listeners.get(name) ?? []) {
    try {
      fn(data);
    } catch {
      // A failing site listener must not break the widget or the other listeners.
    }
  }
}

function post(m: HostMessage): void {
  if (frame?.contentWindow && frameReady) frame.contentWindow.postMessage(wrap(m), serverOrigin);
  else outbox.push(m);
}

function request(method: 'startChat' | 'setContact', args: StartChatOptions | ContactDetails): Promise<unknown> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    post({ type: 'request', id, method, args } as HostMessage);
  });
}

function onMessage(e: MessageEvent): void {
  if (!frame || e.source !== frame.contentWindow || e.origin !== serverOrigin || !isOurs(e.data)) return;
  const m = e.data as FrameToHost;
  if (m.type === 'hello') {
    heard?.();
  } else if (m.type === 'ready') {
    frameReady = true;
    frame.contentWindow!.postMessage(wrap({ type: 'init', options }), serverOrigin);
    const queued = outbox;
    outbox = [];
    for (const q of queued) post(q);
    post({ type: 'visible', visible: isOpen });
  } else if (m.type === 'close') {
    close();
  } else if (m.type === 'attention') {
    attention(isOpen ? 0 : Math.max(0, Math.min(99, Math.floor(Number(m.count) || 0))), String(m.label ?? '').slice(0, 100));
  } else if (m.type === 'response') {
    const p = pending.get(m.id);
    pending.delete(m.id);
    if (m.ok) p?.resolve(m.value);
    else p?.reject(new Error(m.error ?? 'failed'));
  } else if (m.type === 'event') {
    emit(m.name, m.data);
  }
}

function style(el: HTMLElement, css: Partial<CSSStyleDeclaration>): void {
  // CSSOM assignments, not a <style> element: they work under the site's own CSP.
  Object.assign(el.style, css);
}

function draw(root: ShadowRoot, l: Look): void {
  const side = l.position === 'left' ? 'left' : 'right';
  bubble = document.createElement('button');
  bubble.type = 'button';
  bubble.setAttribute('aria-expanded', 'false');
  bubble.setAttribute('part', 'bubble');
  bubble.textContent = '\u{1F4AC}';
  style(bubble, { position: 'fixed', bottom: '20px', [side]: '20px', width: '60px', height: '60px', borderRadius: '50%', border: '0', background: l.primaryColor, color: textOn(l.primaryColor), fontSize: '28px', cursor: 'pointer', boxShadow: '0 4px 14px rgba(0,0,0,.3)', zIndex: '2147483646' } as Partial<CSSStyleDeclaration>);
  bubble.addEventListener('click', () => (isOpen ? close() : open()));
  panel = document.createElement('div');
  style(panel, { position: 'fixed', bottom: '90px', [side]: '20px', width: 'min(380px, calc(100vw - 40px))', height: 'min(620px, calc(100vh - 110px))', display: 'none', zIndex: '2147483647', boxShadow: '0 8px 30px rgba(0,0,0,.3)', borderRadius: '12px', overflow: 'hidden', background: '#fff' } as Partial<CSSStyleDeclaration>);
  badge = document.createElement('span');
  badge.setAttribute('aria-hidden', 'true');
  style(badge, { position: 'absolute', top: '-4px', right: '-4px', minWidth: '20px', height: '20px', padding: '0 5px', borderRadius: '10px', background: '#d1242f', color: '#fff', font: 'bold 12px/20px sans-serif', textAlign: 'center', display: 'none', boxSizing: 'border-box' } as Partial<CSSStyleDeclaration>);
  bubble.append(badge);
  root.append(panel, bubble);
  name();
}

function ensureFrame(): void {
  if (frame || !panel) return;
  frame = document.createElement('iframe');
  frame.title = title();
  frame.setAttribute('allow', `microphone ${serverOrigin}; camera ${serverOrigin}; autoplay ${serverOrigin}`);
  frame.src = `${base}/widget/frame/${encodeURIComponent(websiteId)}#origin=${encodeURIComponent(location.origin)}`;
  style(frame, { border: '0', width: '100%', height: '100%' });
  panel.append(frame);
}

/** Whether the widget was open on the previous page of this tab: it opens again on this one. */
function wasOpen(v?: boolean): boolean {
  try {
    if (v !== undefined) sessionStorage.setItem('switchboard.open', v ? '1' : '0');
    return sessionStorage.getItem('switchboard.open') === '1';
  } catch {
    return false;
  }
}

function open(): void {
  if (!panel) return;
  // `open` is a change the page hears once; startChat on an open widget is not another one.
  const already = isOpen;
  wasOpen(true);
  ensureFrame();
  isOpen = true;
  panel.style.display = 'block';
  bubble?.setAttribute('aria-expanded', 'true');
  post({ type: 'visible', visible: true });
  frame?.focus();
  attention(0, '');
  if (!already) emit('open', {});
}

/** A count on the bubble while the widget is closed and something waits for the visitor. */
function attention(count: number, label: string): void {
  if (!badge) return;
  waiting = { count, label };
  badge.textContent = count ? String(count) : '';
  badge.style.display = count ? 'block' : 'none';
  name();
}

/** The website's title in the visitor's language (the frame picks the same way). */
function title(): string {
  return localText(look?.title, pickLanguage(options.language ?? look?.language, navigator.languages ?? [navigator.language])) || 'Chat';
}

/** The bubble's and the frame's accessible names: the title, and what waits while the widget is closed. */
function name(): void {
  bubble?.setAttribute('aria-label', waiting.count && waiting.label ? `${title()} (${waiting.label})` : title());
  if (frame) frame.title = title();
}

function close(): void {
  if (!panel || !isOpen) return;
  isOpen = false;
  wasOpen(false);
  panel.style.display = 'none';
  bubble?.setAttribute('aria-expanded', 'false');
  post({ type: 'visible', visible: false });
  bubble?.focus();
  emit('close', {});
}

async function getAvailability(what?: string): Promise<unknown> {
  if (!net) throw new Error('availability: the widget is not loaded');
  const res = await net.fetch(`${apiBase}/availability`, { credentials: 'omit' });
  if (!res.ok) throw new Error(`availability: HTTP ${res.status}`);
  const all = (await res.json()) as WebsiteAvailability;
  if (!what) return all;
  return all.channels[what as WidgetChannel] ?? all.options[what] ?? null;
}

function watchAvailability(): void {
  if (pollTimer || !listeners.get('availability')?.size) return;
  const tick = () => getAvailability().then((a) => emit('availability', a), () => undefined);
  tick();
  pollTimer = setInterval(tick, 15_000);
}

/** The whitelisted API the site (and its bot) may use. */
const api = {
  init(o: InitOptions = {}): void {
    options = { ...options, ...o };
    name();
    if (frameReady) post({ type: 'init', options } as HostMessage);
  },
  open,
  close,
  getAvailability,
  startChat(o: StartChatOptions = {}): Promise<unknown> {
    open();
    return request('startChat', o);
  },
  setContact(c: ContactDetails): Promise<unknown> {
    options.contact = { ...options.contact, ...c };
    return frame ? request('setContact', c) : Promise.resolve(true);
  },
  on(name: WidgetEventName, fn: Listener): void {
    let set = listeners.get(name);
    if (!set) listeners.set(name, (set = new Set()));
    set.add(fn);
    if (name === 'availability') watchAvailability();
  },
  off(name: WidgetEventName, fn: Listener): void {
    listeners.get(name)?.delete(fn);
    if (name === 'availability' && !listeners.get(name)?.size) {
      clearInterval(pollTimer);
      pollTimer = undefined;
    }
  },
};

type Queued = [keyof typeof api, ...unknown[]];
const w = window as unknown as { Switchboard?: unknown; SwitchboardQueue?: Queued[] };
const LOADED = Symbol.for('switchboard.widget');

function refused(detail: string, origins: string): void {
  // The administrator needs to know why nothing shows.
  console.warn(`Switchboard widget: website "${websiteId}" ${detail}. Check that the website's origins include ${origins}.`); // eslint-disable-line no-console
}

/** Whether the widget's frame came up: it says hello as it starts, or the browser showed its refusal instead. */
function frameComesUp(): Promise<boolean> {
  return new Promise((resolve) => {
    heard = () => resolve(true);
    // A refused frame still fires load (on the browser's error page); a frame that was let in has said hello by then.
    frame!.addEventListener('load', () => setTimeout(() => resolve(false), 3000), { once: true });
  });
}

async function boot(): Promise<void> {
  // One widget per page, however many times the snippet is pasted or the script re-run.
  if (!websiteId || !base || LOADED in window) return;
  Object.defineProperty(window, LOADED, { value: true });
  window.addEventListener('message', onMessage);
  // Calls the site made before this script arrived (window.SwitchboardQueue = [['open'], …]).
  const early = Array.isArray(w.SwitchboardQueue) ? w.SwitchboardQueue : [];
  if (!document.body) await new Promise((r) => document.addEventListener('DOMContentLoaded', r, { once: true }));
  const host = document.createElement('div');
  host.setAttribute('data-switchboard-widget', websiteId);
  const root = host.attachShadow({ mode: 'open' });
  // Some sites replace window.fetch (analytics, old polyfills) with one that cannot do what we
  // ask: a blank frame of the page's own origin has the browser's, whatever the page did to its own.
  // It sits in a closed shadow root, out of reach of the page's selectors.
  const blank = document.createElement('iframe');
  const vault = document.createElement('span');
  style(blank, { display: 'none' });
  vault.attachShadow({ mode: 'closed' }).append(blank);
  root.append(vault);
  style(host, { display: 'none' });
  document.body.append(host);
  net = blank.contentWindow;
  const res = await net!.fetch(`${apiBase}/config`, { credentials: 'omit' }).catch(() => null);
  if (!res?.ok) {
    // A refused origin gets no CORS header, so the browser reports it like an unreachable server: name both.
    refused(`refused this page or could not be reached${res ? ` (HTTP ${res.status})` : ''}`, location.origin);
    host.remove();
    return;
  }
  look = ((await res.json()) as WidgetConfig).look;
  draw(root, look);
  // In a frame, the browser lets the widget in only if every page around it is one of the
  // website's origins: load it now, hidden, and show the bubble only if it comes up.
  if (window.top !== window) {
    ensureFrame();
    if (!(await frameComesUp())) {
      // Where the browser names the pages around this one (Chromium, Safari), name them too.
      const around = [...((location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins ?? [])];
      refused('cannot be shown inside a page of another origin', around.length ? around.join(' and ') : 'the origin of every page around this one');
      host.remove();
      return;
    }
  }
  host.style.display = '';
  w.Switchboard = Object.freeze({ ...api });
  if (wasOpen()) open();
  for (const [method, ...args] of early) (api[method] as (...a: unknown[]) => unknown)?.(...args);
  emit('ready', {});
  window.dispatchEvent(new CustomEvent('switchboard:ready'));
}

void boot();
