// In-dialog OPTIONS to the UDP/TCP legs of an answered call. A peer that vanished without BYE
// answers nothing (408) or forgot the dialog (481); the call is then ended instead of holding its
// media forever. WebSocket legs are watched through their connection instead.
import type { Logger } from 'pino';
import type { SipDialog } from '../engine-api.js';

export interface DialogKeepalive {
  every: number;
  log: () => Logger;
  /** The call's dialogs now (legs not up yet are undefined). */
  dialogs(): Array<SipDialog | undefined>;
  /** True once the call is ending: no more probes. */
  ending(): boolean;
  /** A peer is gone (its status, or undefined for no answer at all). */
  gone(status: number | undefined): void;
  /** Every leg answered a round of probes. */
  alive(): void;
}

/** Starts probing every `k.every` ms; returns the stop. */
export function keepDialogsAlive(k: DialogKeepalive): () => void {
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    for (const d of k.dialogs()) {
      if (!d || d.state === 'terminated' || d.flow.protocol === 'ws' || k.ending()) continue;
      const r = await d.request('OPTIONS').catch(() => undefined);
      if (!r || r.status === 408 || r.status === 481) {
        k.log().info({ dialog: d.id, status: r?.status }, 'keepalive: peer gone');
        k.gone(r?.status);
        return;
      }
    }
    k.alive();
    if (!k.ending()) timer = setTimeout(() => void tick(), k.every).unref();
  };
  timer = setTimeout(() => void tick(), k.every).unref();
  return () => clearTimeout(timer);
}
