// Minimal typings for the untyped CommonJS libraries this package uses. Only what we call is
// declared, so a wrong call fails to compile instead of failing on a live call.

declare module 'sip' {
  /** The library's message shape; header values are parsed objects for the headers it knows. */
  export interface LibMessage {
    method?: string;
    uri?: string;
    status?: number;
    reason?: string;
    version?: string;
    headers: Record<string, unknown>;
    content?: string;
  }
  export interface LibUri {
    schema: string;
    user?: string;
    password?: string;
    host: string;
    port: number;
    params: Record<string, string | null>;
    headers: Record<string, string>;
  }
  export function parse(data: string | Buffer): LibMessage | undefined;
  export function stringify(m: LibMessage): string;
  export function parseUri(s: string): LibUri | undefined;
  export function stringifyUri(u: LibUri | string): string;
  const lib: {
    parse: typeof parse;
    stringify: typeof stringify;
    parseUri: typeof parseUri;
    stringifyUri: typeof stringifyUri;
  };
  export default lib;
}

declare module 'rtpengine-client' {
  import { EventEmitter } from 'node:events';
  export type NgParams = Record<string, unknown>;
  export interface NgResponse {
    result: 'ok' | 'error' | 'pong' | string;
    'error-reason'?: string;
    sdp?: string;
    [key: string]: unknown;
  }
  export class Client extends EventEmitter {
    constructor(opts?: { localPort?: number; localAddress?: string; timeout?: number });
    ping(port: number, host: string): Promise<NgResponse>;
    offer(port: number, host: string, params: NgParams): Promise<NgResponse>;
    answer(port: number, host: string, params: NgParams): Promise<NgResponse>;
    delete(port: number, host: string, params: NgParams): Promise<NgResponse>;
    query(port: number, host: string, params: NgParams): Promise<NgResponse>;
    list(port: number, host: string, params?: NgParams): Promise<NgResponse>;
    playDTMF(port: number, host: string, params: NgParams): Promise<NgResponse>;
    playMedia(port: number, host: string, params: NgParams): Promise<NgResponse>;
    stopMedia(port: number, host: string, params: NgParams): Promise<NgResponse>;
    close(): void;
  }
  const lib: { Client: typeof Client };
  export default lib;
}
