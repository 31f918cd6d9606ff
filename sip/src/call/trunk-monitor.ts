// OPTIONS keepalive towards the PBX trunk. Any response proves the PBX is alive (even 404/405:
// some PBXes refuse OPTIONS); only a timeout or a transport error counts as down.
import { EventEmitter } from 'node:events';
import type { SipEngineApi } from '../engine-api.js';
import type { Flow } from '../transport/types.js';

export interface TrunkStatus {
  up: boolean;
  /** Status of the last OPTIONS (408/503 synthesised on timeout or transport error). */
  status: number;
  at: Date;
}

export interface TrunkMonitorEvents {
  /** Emitted when the trunk goes up or down (not on every probe). */
  status: [TrunkStatus];
}

export class TrunkMonitor extends EventEmitter<TrunkMonitorEvents> {
  private timer?: NodeJS.Timeout;
  last?: TrunkStatus;

  constructor(
    private readonly engine: SipEngineApi,
    private readonly flow: Flow,
    /** OPTIONS' Request-URI: the PBX's address as configured (host, port, transport). */
    private readonly uri: string,
    private readonly intervalMs = 30_000,
  ) {
    super();
  }

  async check(): Promise<TrunkStatus> {
    let status: number;
    try {
      status = (await this.engine.request(this.uri, { method: 'OPTIONS', target: this.flow })).status;
    } catch {
      status = 503;
    }
    // 408 and 503 from our own transaction layer mean nobody answered.
    const synthetic = status === 408 || status === 503;
    const next: TrunkStatus = { up: !synthetic, status, at: new Date() };
    const changed = this.last?.up !== next.up;
    this.last = next;
    if (changed) this.emit('status', next);
    return next;
  }

  start(): void {
    if (this.timer) return;
    const loop = (): void => {
      void this.check().finally(() => {
        if (this.timer) this.timer = setTimeout(loop, this.intervalMs).unref();
      });
    };
    this.timer = setTimeout(loop, 0).unref();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
