// What the call view and the lazily loaded SIP part (sip-call.ts) agree on.

/** What the call needs from POST …/calls: where to send SIP over WebSocket, whom to call, one-call credentials. */
export interface CallTicket {
  wsUrl: string;
  uri: string;
  target: string;
  username?: string;
  password?: string;
  displayName?: string;
  headers?: string[];
}

export interface CallHandle {
  mute(on: boolean): void;
  camera(on: boolean): void;
  dtmf(tone: string): void;
  hangup(): void;
}
