// The only code that runs on the website's page. It stays small: the bubble, the public API
// (queued until the frame answers), availability polling for the site's bot, and the iframe that
// holds everything else, created only when the visitor (or the site) opens the widget.
import { isOurs, wrap, type ContactDetails, type FrameToHost, type HostMessage, type InitOptions, type StartChatOptions, type WidgetEventName } from '../messages';

interface Look {
  title: string;
  primaryColor: string;
  position: 'left' | 'right';
}

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
  if (m.type === 'ready') {
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

function textOn(hex: string): string {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.179 ? '#000' : '#fff';
}

function draw(l: Look): void {
  const host = document.createElement('div');
  host.setAttribute('data-switchboard-widget', websiteId);
  const root = host.attachShadow({ mode: 'open' });
  const side = l.position === 'left' ? 'left' : 'right';
  bubble = document.createElement('button');
  bubble.type = 'button';
  bubble.setAttribute('aria-label', l.title);
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
  document.body.append(host);
}

function ensureFrame(): void {
  if (frame || !panel) return;
  frame = document.createElement('iframe');
  frame.title = look?.title ?? 'Chat';
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
  if (!bubble || !badge || !look) return;
  badge.textContent = count ? String(count) : '';
  badge.style.display = count ? 'block' : 'none';
  bubble.setAttribute('aria-label', count && label ? `${look.title} (${label})` : look.title);
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
  const res = await fetch(`${apiBase}/availability`, { credentials: 'omit' });
  if (!res.ok) throw new Error(`availability: HTTP ${res.status}`);
  const all = (await res.json()) as { channels: Record<string, unknown>; options: Record<string, unknown> };
  if (!what) return all;
  return all.channels[what] ?? all.options[what] ?? null;
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

async function boot(): Promise<void> {
  if (!websiteId || !base) return;
  window.addEventListener('message', onMessage);
  // Calls the site made before this script arrived (window.SwitchboardQueue = [['open'], …]).
  const early = Array.isArray(w.SwitchboardQueue) ? w.SwitchboardQueue : [];
  const res = await fetch(`${apiBase}/config`, { credentials: 'omit' }).catch(() => null);
  if (!res?.ok) {
    // The administrator needs to know why nothing shows. A refused origin gets no CORS header, so
    // the browser reports it like an unreachable server: name both.
    console.warn(`Switchboard widget: website "${websiteId}" refused this page or could not be reached${res ? ` (HTTP ${res.status})` : ''}. Check that ${location.origin} is one of the website's origins.`); // eslint-disable-line no-console
    return;
  }
  look = ((await res.json()) as { look: Look }).look;
  draw(look);
  w.Switchboard = Object.freeze({ ...api });
  if (wasOpen()) open();
  for (const [method, ...args] of early) (api[method] as (...a: unknown[]) => unknown)?.(...args);
  emit('ready', {});
  window.dispatchEvent(new CustomEvent('switchboard:ready'));
}

void boot();
