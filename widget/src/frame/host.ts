import { isOurs, wrap, type FrameMessage, type HostToFrame, type WidgetEventName } from '../messages';

/**
 * The frame's side of the postMessage protocol. The parent's origin comes from the loader
 * (#origin=…); the server's frame-ancestors policy already limits parents to the website's
 * origins, and every message is checked against that origin and the parent window.
 */
export class Host {
  readonly origin: string | null;
  private handler: ((m: HostToFrame) => void) | null = null;

  constructor() {
    const fromHash = new URLSearchParams(location.hash.slice(1)).get('origin');
    const ancestors = (location as Location & { ancestorOrigins?: DOMStringList }).ancestorOrigins;
    const ancestor = ancestors && ancestors.length ? ancestors[0]! : null;
    // Where the browser tells us the parent's origin, it wins over what the URL claims.
    this.origin = window.parent === window ? null : (ancestor ?? fromHash);
    window.addEventListener('message', (e) => {
      if (e.source !== window.parent || e.origin !== this.origin || !isOurs(e.data)) return;
      this.handler?.(e.data as HostToFrame);
    });
  }

  onMessage(fn: (m: HostToFrame) => void): void {
    this.handler = fn;
  }

  send(m: FrameMessage): void {
    if (this.origin) window.parent.postMessage(wrap(m), this.origin);
  }

  emit(name: WidgetEventName, data: unknown): void {
    this.send({ type: 'event', name, data });
  }
}
