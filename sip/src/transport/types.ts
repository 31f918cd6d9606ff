export type TransportProtocol = 'udp' | 'tcp' | 'ws';

/** Where a message came from or goes to. Reliable flows carry the connection they live on. */
export interface Flow {
  protocol: TransportProtocol;
  address: string;
  port: number;
  /** TCP/WS: the connection to answer on; WS peers are only reachable this way. */
  connectionId?: string;
  /** WebSocket over TLS (WSS). */
  secure?: boolean;
}

export function isReliable(p: TransportProtocol): boolean {
  return p !== 'udp';
}

export function flowKey(f: Flow): string {
  return f.connectionId ?? `${f.protocol}:${f.address}:${f.port}`;
}

export interface ListenOptions {
  /** Address every listener binds to (127.0.0.1 in tests). */
  host: string;
  /** Address written into Via/Contact; defaults to host. */
  advertisedHost?: string;
  udpPort?: number;
  tcpPort?: number;
  /** SIP over WebSocket (RFC 7118); subprotocol `sip` is required. */
  wsPort?: number;
  /** SIP over secure WebSocket, when TLS is configured (PEM certificate chain and key). */
  wss?: { port: number; cert: string | Buffer; key: string | Buffer };
  /** Largest message accepted on a stream before the connection is dropped (default 64 KiB). */
  maxMessageBytes?: number;
  /** UDP socket buffer sizes asked of the OS (default 4 MiB). */
  udpBufferBytes?: number;
}
