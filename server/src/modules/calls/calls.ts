import type { CallControl, CallEvents, MediaRelay, RunningEngine } from '@switchboard/sip';
import type { SipCredentialStore } from './credentials.js';
import type { MysqlCallRecorder } from './recorder.js';

/** What the rest of the server (and tests) may reach of the running SIP side. */
export interface Calls {
  credentials: SipCredentialStore;
  /** Where browsers connect for SIP over WebSocket. */
  wsUrl: string;
  domain: string;
  control: CallControl;
  /** The in-process engine, or the link to drachtio-server (`sip.engine`). */
  engine: RunningEngine;
  events: CallEvents;
  recorder: MysqlCallRecorder;
  media: MediaRelay;
  /** Media sessions opened for the widget's device test, deleted after a while or at stop. */
  probes: Set<string>;
}
