// drachtio-server does not tell its applications when a WebSocket peer goes away, yet call
// control relies on knowing it: a browser that closed its tab must end its call and lose its
// registration (the in-process engine sees the socket close). So the engine probes each browser
// flow it knows (one with a live dialog or a registration) with OPTIONS — in-dialog when it has
// a dialog, else to the registered Contact, which drachtio-server reaches over the same
// connection. No answer, or drachtio-server unable to send (408/503), means the flow is gone:
// its dialogs end `by: 'transport'` and 'connection-closed' is emitted, as on the other engine.
import type { Logger } from 'pino';
import type { SipResponse } from '../../message.js';
import type { Flow } from '../../transport/types.js';
import { flowKey } from '../../transport/types.js';
import type { DrachtioDialog } from './dialog.js';

export interface FlowWatchHost {
  readonly log: Logger;
  liveDialogs(): Iterable<DrachtioDialog>;
  /** Out-of-dialog OPTIONS to a registered Contact. */
  probe(contactUri: string): Promise<SipResponse>;
  flowClosed(flow: Flow): void;
}

interface Watched {
  flow: Flow;
  contact?: string;
  registeredUntil: number;
}

export class FlowWatch {
  private readonly flows = new Map<string, Watched>();
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(
    private readonly host: FlowWatchHost,
    private readonly intervalMs: number,
  ) {}

  /** A 2xx to a browser's REGISTER: watch its flow until the registration ends. */
  registered(flow: Flow, contact: string, expiresS: number): void {
    if (flow.protocol !== 'ws') return;
    const key = flowKey(flow);
    if (expiresS <= 0) {
      this.flows.delete(key);
      return;
    }
    this.flows.set(key, { flow, contact, registeredUntil: Date.now() + expiresS * 1000 });
    this.start();
  }

  /** A dialog on a browser flow: watch the flow while the dialog lives. */
  dialog(d: DrachtioDialog): void {
    if (d.flow.protocol !== 'ws') return;
    const key = flowKey(d.flow);
    if (!this.flows.has(key)) this.flows.set(key, { flow: d.flow, registeredUntil: 0 });
    this.start();
  }

  private start(): void {
    if (this.timer || this.intervalMs <= 0) return;
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.flows.clear();
  }

  private async tick(): Promise<void> {
    if (this.running) return; // a slow probe round must not pile up
    this.running = true;
    try {
      const byFlow = new Map<string, DrachtioDialog>();
      for (const d of this.host.liveDialogs()) if (d.flow.protocol === 'ws') byFlow.set(flowKey(d.flow), d);
      const now = Date.now();
      await Promise.all([...this.flows].map(async ([key, w]) => {
        const dialog = byFlow.get(key);
        const contact = w.registeredUntil > now ? w.contact : undefined;
        if (!dialog && !contact) {
          this.flows.delete(key);
          return;
        }
        const status = await (dialog ? dialog.request('OPTIONS') : this.host.probe(contact!)).then((r) => r.status, () => 503);
        if (status !== 408 && status !== 503) return;
        this.host.log.info({ flow: w.flow, status }, 'browser flow gone (no answer to OPTIONS)');
        this.flows.delete(key);
        for (const d of this.host.liveDialogs()) if (flowKey(d.flow) === key) d.lost();
        this.host.flowClosed(w.flow);
      }));
    } finally {
      this.running = false;
    }
  }
}
