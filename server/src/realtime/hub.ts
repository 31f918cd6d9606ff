import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { z } from 'zod';
import type { AgentServerMessage, WidgetServerMessage } from '@switchboard/protocol';
import { AGENT_CLOSE } from '@switchboard/protocol';
import { tokenFrom, findWebsite } from '../http/security.js';
import { HttpError } from '../http/errors.js';
import type { Services } from '../services.js';
import type { Principal } from '../modules/agents/sessions.js';
import { presentStatus } from '../modules/agents/presenter.js';
import { settableStates } from '../modules/agents/schema.js';

const MAX_FRAME = 64 * 1024;

const agentCommand = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ping'), ref: z.string().max(64).optional() }).strict(),
  z.object({ type: z.literal('state.set'), state: z.enum(settableStates), reason: z.string().max(63).optional(), ref: z.string().max(64).optional() }).strict(),
]);
const widgetCommand = z.discriminatedUnion('type', [z.object({ type: z.literal('ping'), ref: z.string().max(64).optional() }).strict()]);

interface AgentSocket {
  ws: WebSocket;
  principal: Principal;
}

function parseFrame(data: RawData): unknown {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}

function refOf(msg: unknown): string | undefined {
  const ref = (msg as { ref?: unknown } | undefined)?.ref;
  return typeof ref === 'string' ? ref.slice(0, 64) : undefined;
}

/**
 * The WebSocket endpoints. Sockets belong to one instance; what must reach them from anywhere
 * arrives through the Redis bus, so an agent with tabs on two instances sees the same thing.
 */
export class RealtimeHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  private readonly agents = new Map<string, Set<AgentSocket>>();
  private readonly widgets = new Set<WebSocket>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly alive = new WeakSet<WebSocket>();

  constructor(private readonly s: Services) {}

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => {
      this.upgrade(req, socket, head).catch((err) => {
        this.s.log.error({ err }, 'websocket upgrade failed');
        refuse(socket, 500, 'internal error');
      });
    });
    this.s.bus.on((event) => {
      if (event.type === 'agent.state') {
        this.sendToAgent(event.agentId, { type: 'agent.state', status: presentStatus(event as never) });
      } else if (event.type === 'agent.sessions-revoked') {
        for (const a of this.agents.get(event.agentId) ?? []) a.ws.close(AGENT_CLOSE.sessionRevoked, 'session revoked');
      }
    });
    this.heartbeat = setInterval(() => {
      for (const ws of this.wss.clients) {
        if (!this.alive.has(ws)) {
          ws.terminate();
          continue;
        }
        this.alive.delete(ws);
        ws.ping();
      }
    }, 30000);
    this.heartbeat.unref();
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/ws/agent') {
      const token = tokenFrom(req);
      const principal = token ? await this.s.sessions.resolve(token) : null;
      if (!principal) return refuse(socket, 401, 'log in first');
      this.wss.handleUpgrade(req, socket, head, (ws) => void this.onAgent(ws, principal));
      return;
    }
    if (url.pathname === '/ws/widget') {
      const website = findWebsite(this.s.config(), url.searchParams.get('website') ?? undefined);
      if (!website) return refuse(socket, 404, 'unknown website');
      const origin = req.headers.origin;
      if (!origin || !website.origins.includes(origin)) return refuse(socket, 403, 'origin not allowed for this website');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onWidget(ws, website.id));
      return;
    }
    refuse(socket, 404, 'not found');
  }

  private async onAgent(ws: WebSocket, principal: Principal): Promise<void> {
    const entry: AgentSocket = { ws, principal };
    let set = this.agents.get(principal.agentId);
    if (!set) this.agents.set(principal.agentId, (set = new Set()));
    set.add(entry);
    this.track(ws);
    const log = this.s.log.child({ agentId: principal.agentId, socket: 'agent' });
    ws.on('close', () => {
      set.delete(entry);
      if (set.size === 0) this.agents.delete(principal.agentId);
    });
    ws.on('message', (data, isBinary) => {
      void this.onAgentMessage(entry, data, isBinary).catch((err) => {
        log.error({ err }, 'agent command failed');
        send(ws, { type: 'error', code: 'internal', message: 'The command failed on our side; try again.' });
      });
    });
    // A revocation racing the upgrade: the session check passed, but it may be gone by now.
    if (!(await this.stillValid(principal))) {
      ws.close(AGENT_CLOSE.sessionRevoked, 'session revoked');
      return;
    }
    send(ws, { type: 'hello', agentId: principal.agentId, status: presentStatus(await this.s.states.get(principal.agentId)) });
  }

  private async stillValid(p: Principal): Promise<boolean> {
    return (await this.s.redis.client.exists(this.s.redis.key('session', p.sessionId))) === 1;
  }

  private async onAgentMessage(a: AgentSocket, data: RawData, isBinary: boolean): Promise<void> {
    const raw = isBinary ? undefined : parseFrame(data);
    const parsed = agentCommand.safeParse(raw);
    if (!parsed.success) {
      send(a.ws, { type: 'error', code: 'invalid_command', message: raw === undefined ? 'Send JSON text frames.' : `Unknown or malformed command: ${parsed.error.issues[0]?.message ?? 'invalid'}`, ref: refOf(raw) });
      return;
    }
    if (!(await this.stillValid(a.principal))) {
      a.ws.close(AGENT_CLOSE.sessionRevoked, 'session revoked');
      return;
    }
    const cmd = parsed.data;
    if (cmd.type === 'ping') return send(a.ws, { type: 'pong', ref: cmd.ref });
    try {
      const status = await this.s.setOwnState(a.principal.agentId, cmd.state, cmd.reason ?? null);
      send(a.ws, { type: 'agent.state', status: presentStatus(status), ref: cmd.ref });
    } catch (err) {
      if (err instanceof HttpError) return send(a.ws, { type: 'error', code: err.code, message: err.message, ref: cmd.ref });
      throw err;
    }
  }

  private onWidget(ws: WebSocket, websiteId: string): void {
    this.widgets.add(ws);
    this.track(ws);
    ws.on('close', () => this.widgets.delete(ws));
    ws.on('message', (data, isBinary) => {
      const raw = isBinary ? undefined : parseFrame(data);
      const parsed = widgetCommand.safeParse(raw);
      if (!parsed.success) return send(ws, { type: 'error', code: 'invalid_command', message: 'Unknown or malformed message.', ref: refOf(raw) });
      send(ws, { type: 'pong', ref: parsed.data.ref });
    });
    send(ws, { type: 'hello', website: websiteId });
  }

  private track(ws: WebSocket): void {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', () => ws.terminate());
  }

  private sendToAgent(agentId: string, msg: AgentServerMessage): void {
    for (const a of this.agents.get(agentId) ?? []) send(a.ws, msg);
  }

  /** Tells every client the server is going away (1001) so desktops reconnect elsewhere. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const ws of this.wss.clients) ws.close(AGENT_CLOSE.serverShutdown, 'server shutting down');
    this.wss.close();
  }
}

function send(ws: WebSocket, msg: AgentServerMessage | WidgetServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}
