// What the adapter uses of drachtio-srf 5's objects, typed from what its lib/*.js do (the bundled
// lib/@types are looser: most callbacks take `any`, and they lack `raw`, `meta`, `stackDialogId`).
// Only what is declared here may be used, so a misuse fails to compile.
import type { EventEmitter } from 'node:events';

/** drachtio-srf's SipMessage: header values as the text drachtio-server sent. */
export interface SrfMessage {
  /** The whole message as received from drachtio-server (decoded as UTF-8 by drachtio-srf). */
  raw?: string;
  /** Header values as text, by the name drachtio-srf gave them. */
  headers: Record<string, string>;
  body: string;
  get(name: string): string | undefined;
  has(name: string): boolean;
}

export interface SrfRequest extends SrfMessage, EventEmitter {
  method: string;
  uri: string;
  msg: SrfMessage;
  /** 'network' (from a peer) or 'application' (drachtio-server's own, e.g. its BYE after an ACK timeout). */
  source: 'network' | 'application';
  source_address: string;
  source_port: number;
  /** 'udp' | 'tcp' | 'ws' | 'wss' | 'tls'. */
  protocol: string;
  stackTxnId?: string;
  stackDialogId?: string;
  canceled?: boolean;
  /** Sends CANCEL for an INVITE we sent. */
  cancel(opts?: { headers?: Record<string, string> }, callback?: (err: unknown) => void): void;
}

export interface SrfResponse extends SrfMessage {
  status: number;
  reason: string;
  msg: SrfMessage;
  finalResponseSent: boolean;
  send(status: number, reason: string | undefined, opts: { headers?: Record<string, string>; body?: string }, callback?: (err: unknown, sent?: SrfMessage) => void): void;
}

export interface SrfDialog extends EventEmitter {
  readonly id: string;
  type: 'uas' | 'uac';
  connected: boolean;
  sip: { callId: string; localTag: string; remoteTag: string };
  local: { uri: string; sdp: string; contact: string };
  remote: { uri: string; sdp: string };
  req: SrfRequest;
  /** UAC: the 2xx that set the dialog up. */
  res?: SrfResponse;
  /** drachtio-srf routes each in-dialog request through this (srf.js `dialog()` middleware). */
  handle(req: SrfRequest, res: SrfResponse, next?: (err?: unknown) => void): void;
  destroy(opts?: { headers?: Record<string, string> }): Promise<unknown>;
  modify(sdp: string, opts?: { headers?: Record<string, string> }): Promise<string>;
  request(opts: { method: string; headers?: Record<string, string>; body?: string }): Promise<SrfResponse>;
}

export type SrfMiddleware = (req: SrfRequest, res: SrfResponse, next: (err?: unknown) => void) => void;

export interface SrfUacOptions {
  headers: Record<string, string>;
  localSdp?: string;
  proxy?: string;
  auth?: { username: string; password: string };
}

export interface SrfProgress {
  cbRequest?(err: unknown, req: SrfRequest): void;
  cbProvisional?(res: SrfResponse): void;
}

/** The Srf instance: connection, middleware and the dialog factories. */
export interface SrfApp extends EventEmitter {
  connect(opts: { host: string; port: number; secret: string; reconnect?: { retryMaxDelay?: number } }): void;
  disconnect(): void;
  use(method: string, fn: SrfMiddleware): void;
  /** The callback runs inside drachtio-srf's handling of the sent 2xx, before the next message. */
  createUAS(req: SrfRequest, res: SrfResponse, opts: { localSdp: string; headers?: Record<string, string> }, callback: (err: unknown, dialog?: SrfDialog) => void): void;
  createUAC(uri: string, opts: SrfUacOptions, progress: SrfProgress, callback: (err: unknown, dialog?: SrfDialog) => void): void;
  request(uri: string, opts: { method: string; headers?: Record<string, string>; body?: string; proxy?: string; auth?: { username: string; password: string } }, callback: (err: unknown, sent?: SrfRequest) => void): void;
}

/** A final non-2xx as drachtio-srf rejects with it (its SipError). */
export interface SrfSipError extends Error {
  status: number;
  reason: string;
  res?: SrfResponse;
}

export function isSrfSipError(err: unknown): err is SrfSipError {
  return err instanceof Error && typeof (err as Partial<SrfSipError>).status === 'number';
}
