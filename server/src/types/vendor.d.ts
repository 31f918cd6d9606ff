// Minimal typings for untyped dependencies: only what Switchboard calls.
declare module '@xmpp/client' {
  import type { EventEmitter } from 'node:events';
  export interface XmlElement {
    name: string;
    attrs: Record<string, string | undefined>;
    children: (XmlElement | string)[];
    is(name: string, xmlns?: string): boolean;
    getChild(name: string, xmlns?: string): XmlElement | undefined;
    getChildren(name: string, xmlns?: string): XmlElement[];
    getChildText(name: string, xmlns?: string): string | null;
    getText(): string;
    toString(): string;
  }
  export interface XmppClient extends EventEmitter {
    status: string;
    jid?: { toString(): string; local: string; domain: string; resource: string };
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(...elements: XmlElement[]): Promise<void>;
    sendReceive?(element: XmlElement): Promise<XmlElement>;
    iqCaller: { request(el: XmlElement, timeout?: number): Promise<XmlElement> };
    reconnect: EventEmitter & { delay: number };
  }
  export function client(options: { service: string; domain: string; username: string; password: string; resource?: string }): XmppClient;
  export function xml(name: string, attrs?: Record<string, string | number | undefined> | null, ...children: (XmlElement | string)[]): XmlElement;
  export function jid(s: string): { toString(): string; local: string; domain: string; resource: string; bare(): { toString(): string } };
}

declare module 'rtpengine-client' {
  export class Client {
    constructor(options?: { port?: number; host?: string; timeout?: number; rejectOnFailure?: boolean });
    ping(port: number, host: string): Promise<{ result: string; 'error-reason'?: string }>;
    close(): void;
    on(event: 'error' | 'listening', cb: (...args: unknown[]) => void): this;
  }
}
