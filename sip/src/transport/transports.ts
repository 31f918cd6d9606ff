// UDP, TCP and SIP-over-WebSocket (RFC 7118) listeners behind one `send(data, flow)`.
import dgram from 'node:dgram';
import net from 'node:net';
import dns from 'node:dns';
import https from 'node:https';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { StreamFramer } from './framer.js';
import { type Flow, type ListenOptions, type TransportProtocol, flowKey } from './types.js';

export interface TransportEvents {
  /** `fatal`: the stream is unusable after this message (framing error). */
  message: [data: Buffer, flow: Flow, fatal: boolean];
  'connection-closed': [flow: Flow];
  error: [err: Error];
}

interface StreamConn {
  protocol: 'tcp' | 'ws';
  send(data: Buffer): void;
  close(): void;
  flow: Flow;
}

/**
 * Datagrams go to addresses as written (no DNS, docs/architecture/sip.md). dgram resolves even an
 * IP literal through dns.lookup and a nextTick before every send; answering at once saves that
 * on each of the dozen datagrams of a call.
 */
const udpLookup: NonNullable<dgram.SocketOptions['lookup']> = (host, opts, cb) => {
  if (net.isIPv4(host)) cb(null, host, 4);
  else dns.lookup(host, opts, cb);
};

export class Transports extends EventEmitter<TransportEvents> {
  private udp?: dgram.Socket;
  private tcp?: net.Server;
  private ws?: WebSocketServer;
  private wss?: { server: https.Server; ws: WebSocketServer };
  private wssPort?: number;
  private readonly conns = new Map<string, StreamConn>();
  private readonly ports: Partial<Record<TransportProtocol, number>> = {};
  private nextId = 1;

  constructor(private readonly opts: ListenOptions) {
    super();
  }

  get advertisedHost(): string {
    return this.opts.advertisedHost ?? this.opts.host;
  }

  /** Local port of a transport (after listen), for Via and Contact. */
  port(protocol: TransportProtocol): number | undefined {
    return this.ports[protocol];
  }

  async listen(): Promise<void> {
    const { host } = this.opts;
    if (this.opts.udpPort !== undefined) {
      const udp = dgram.createSocket({ type: 'udp4', lookup: udpLookup });
      udp.on('message', (data, rinfo) => this.emit('message', data, { protocol: 'udp', address: rinfo.address, port: rinfo.port }, false));
      udp.on('error', (err) => this.emit('error', err));
      await new Promise<void>((resolve, reject) => {
        const failed = (err: Error): void => {
          udp.close();
          reject(err);
        };
        udp.once('error', failed);
        udp.bind(this.opts.udpPort, host, () => {
          udp.off('error', failed); // later errors (a send to a vanished peer) must not close it
          resolve();
        });
      });
      // Bursts of calls overflow the kernel's default 208 KiB receive buffer, and every dropped
      // datagram costs a 500 ms retransmission; ask for 4 MiB (capped by net.core.rmem_max).
      for (const set of [(n: number) => udp.setRecvBufferSize(n), (n: number) => udp.setSendBufferSize(n)]) {
        try {
          set(this.opts.udpBufferBytes ?? 4 * 1024 * 1024);
        } catch {
          /* the OS refused the size: keep its default */
        }
      }
      this.udp = udp;
      this.ports.udp = udp.address().port;
    }
    if (this.opts.tcpPort !== undefined) {
      const tcp = net.createServer((s) => this.adoptTcp(s));
      tcp.on('error', (err) => this.emit('error', err));
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(this.opts.tcpPort, host, () => resolve());
      });
      this.tcp = tcp;
      this.ports.tcp = (tcp.address() as AddressInfo).port;
    }
    if (this.opts.wsPort !== undefined) {
      const ws = this.wsServer({ host, port: this.opts.wsPort }, false);
      await new Promise<void>((resolve, reject) => {
        ws.once('error', reject);
        ws.once('listening', () => resolve());
      });
      this.ws = ws;
      this.ports.ws = (ws.address() as AddressInfo).port;
    }
    if (this.opts.wss) {
      const server = https.createServer({ cert: this.opts.wss.cert, key: this.opts.wss.key });
      const ws = this.wsServer({ server }, true);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(this.opts.wss!.port, host, () => resolve());
      });
      this.wss = { server, ws };
      this.wssPort = (server.address() as AddressInfo).port;
    }
  }

  /** Port of the secure WebSocket listener, when TLS is configured. */
  get securePort(): number | undefined {
    return this.wssPort;
  }

  private wsServer(where: { host: string; port: number } | { server: https.Server }, secure: boolean): WebSocketServer {
    const ws = new WebSocketServer({
      ...where,
      maxPayload: this.maxBytes,
      // RFC 7118: the handshake must ask for "sip"; anything else is refused before upgrade.
      verifyClient: (info: { req: { headers: Record<string, string | string[] | undefined> } }) =>
        /(^|,)\s*sip\s*(,|$)/.test(String(info.req.headers['sec-websocket-protocol'] ?? '')),
      handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
    });
    ws.on('connection', (sock, req) => {
      if (sock.protocol !== 'sip') {
        sock.close(1002, 'subprotocol sip required');
        return;
      }
      this.adoptWs(sock, req.socket.remoteAddress ?? '0.0.0.0', req.socket.remotePort ?? 0, secure);
    });
    ws.on('error', (err) => this.emit('error', err));
    return ws;
  }

  private get maxBytes(): number {
    return this.opts.maxMessageBytes ?? 65536;
  }

  private register(conn: StreamConn): void {
    this.conns.set(flowKey(conn.flow), conn);
  }

  private dropConn(conn: StreamConn): void {
    const key = flowKey(conn.flow);
    if (this.conns.get(key) === conn) {
      this.conns.delete(key);
      this.emit('connection-closed', conn.flow);
    }
  }

  private adoptTcp(s: net.Socket, key?: string): StreamConn {
    const flow: Flow = {
      protocol: 'tcp',
      address: (s.remoteAddress ?? '0.0.0.0').replace(/^::ffff:/, ''),
      port: s.remotePort ?? 0,
      connectionId: key ?? `tcp#${this.nextId++}`,
    };
    const conn: StreamConn = { protocol: 'tcp', flow, send: (d) => s.write(d), close: () => s.destroy() };
    this.register(conn);
    const framer = new StreamFramer(this.maxBytes);
    s.on('data', (chunk) => {
      for (const frame of framer.push(chunk)) {
        this.emit('message', frame.data, flow, frame.fatal);
        if (frame.fatal) s.end();
      }
    });
    s.on('error', () => s.destroy());
    s.on('close', () => this.dropConn(conn));
    return conn;
  }

  private adoptWs(sock: WebSocket, address: string, port: number, secure: boolean): void {
    const flow: Flow = { protocol: 'ws', address: address.replace(/^::ffff:/, ''), port, connectionId: `ws#${this.nextId++}`, ...(secure ? { secure } : {}) };
    const conn: StreamConn = {
      protocol: 'ws',
      flow,
      // SIP over WebSocket is carried in text frames by browsers; our strings are binary (latin1).
      send: (d) => sock.send(d.toString('utf8')),
      close: () => sock.terminate(),
    };
    this.register(conn);
    sock.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const text = isBinary ? buf : Buffer.from(buf.toString('utf8'), 'utf8');
      if (/^\s*$/.test(text.toString('binary'))) return; // keep-alive
      this.emit('message', text, flow, false);
    });
    sock.on('error', () => sock.terminate());
    sock.on('close', () => this.dropConn(conn));
  }

  /** Sends a serialised message (binary string). Returns false when the flow is gone. */
  send(data: string, flow: Flow): boolean {
    const buf = Buffer.from(data, 'binary');
    if (flow.protocol === 'udp') {
      if (!this.udp) return false;
      this.udp.send(buf, flow.port, flow.address);
      return true;
    }
    const existing = this.conns.get(flowKey(flow)) ?? (flow.protocol === 'tcp' ? this.conns.get(`tcp:${flow.address}:${flow.port}`) : undefined);
    if (existing) {
      existing.send(buf);
      return true;
    }
    if (flow.protocol === 'tcp') {
      const key = `tcp:${flow.address}:${flow.port}`;
      const s = net.connect({ host: flow.address, port: flow.port });
      const conn = this.adoptTcp(s, key);
      conn.flow.address = flow.address;
      conn.flow.port = flow.port;
      s.once('error', (err) => this.emit('error', err));
      conn.send(buf);
      return true;
    }
    return false;
  }

  isConnected(flow: Flow): boolean {
    return flow.protocol === 'udp' || this.conns.has(flowKey(flow));
  }

  async close(): Promise<void> {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
    await Promise.all([
      this.udp && new Promise<void>((r) => this.udp!.close(() => r())),
      this.tcp && new Promise<void>((r) => this.tcp!.close(() => r())),
      this.ws && new Promise<void>((r) => this.ws!.close(() => r())),
      this.wss && new Promise<void>((r) => this.wss!.ws.close(() => this.wss!.server.close(() => r()))),
    ]);
  }
}
