import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { z } from 'zod';
import type { AgentServerMessage, AgentStatusPayload, WidgetServerMessage } from '@switchboard/protocol';
import { AGENT_CLOSE } from '@switchboard/protocol';
import { tokenFrom, findWebsite } from '../http/security.js';
import { HttpError, redisUnavailable } from '../http/errors.js';
import { INVALID_UNICODE, invalidUnicodePath } from '../http/unicode.js';
import { isRedisUnavailable } from '../redis.js';
import type { Principal, SessionResolver } from '../http/principal.js';
import type { Config, Website } from '../config/schema.js';
import type { Logger } from '../logger.js';
import type { EventBus } from '../bus.js';
import type { RedisHandle } from '../redis.js';
import { isWidgetFrame } from '../http/frame-origin.js';
import { foreignReason, isBearer, serverOrigins } from '../http/origin.js';
import { CommandLimiter } from './limits.js';

const MAX_FRAME = 64 * 1024;

/** What the hub needs; agent sessions and states come from the agents context (app.ts wires them). */
export interface HubDeps {
  config: () => Config;
  log: Logger;
  bus: EventBus;
  redis: RedisHandle;
  sessions: SessionResolver;
  states: { get(agentId: string): Promise<AgentStatusPayload> };
}

type CommandSchema = z.ZodObject<{ type: z.ZodLiteral<string> } & z.ZodRawShape>;

export interface AgentConnection {
  readonly principal: Principal;
  send(msg: AgentServerMessage): void;
}

export interface VisitorConnection {
  readonly website: Website;
  readonly origin: string;
  /** Interaction ids this socket has proven it may follow. */
  readonly subscriptions: ReadonlySet<string>;
  /** Follows an interaction (the chat module, once the socket showed the chat's token). */
  subscribe(interactionId: string): void;
  send(msg: WidgetServerMessage): void;
}

type AgentHandler<T> = (conn: AgentConnection, cmd: T) => Promise<AgentServerMessage | void>;
type VisitorHandler<T> = (conn: VisitorConnection, cmd: T) => Promise<WidgetServerMessage | void>;

interface AgentSocket extends AgentConnection {
  ws: WebSocket;
}
interface VisitorSocket extends VisitorConnection {
  ws: WebSocket;
  readonly subscriptions: Set<string>;
}

function parseFrame(data: RawData, isBinary: boolean): unknown {
  if (isBinary) return undefined;
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
 * travels on the Redis bus (`agent.push`, `visitor.push`), so an agent with tabs on two
 * instances, or a visitor on another instance than the agent, sees the same thing.
 * Modules register the commands they understand; the hub owns auth, parsing and errors.
 */
export class RealtimeHub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME });
  private readonly agents = new Map<string, Set<AgentSocket>>();
  /** Sockets of supervisors and administrators: what goes to all of them must not walk every agent's socket. */
  private readonly supervisors = new Set<AgentSocket>();
  /** Visitor sockets by the interaction they follow: a push looks up its few sockets, not every visitor. */
  private readonly followers = new Map<string, Set<VisitorSocket>>();
  private readonly agentCommands = new Map<string, { schema: CommandSchema; handler: AgentHandler<never> }>();
  private readonly visitorCommands = new Map<string, { schema: CommandSchema; handler: VisitorHandler<never> }>();
  private readonly agentConnectHooks: ((conn: AgentConnection) => Promise<void>)[] = [];
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly alive = new WeakSet<WebSocket>();
  private readonly limiter: CommandLimiter;

  constructor(private readonly s: HubDeps) {
    this.limiter = new CommandLimiter(s.redis, s.log);
    this.onAgentCommand(z.object({ type: z.literal('ping'), ref: z.string().max(64).optional() }).strict(), async () => ({ type: 'pong' }));
    this.onVisitorCommand(z.object({ type: z.literal('ping'), ref: z.string().max(64).optional() }).strict(), async () => ({ type: 'pong' }));
  }

  /** Registers an agent command; the answer (if any) is sent back with the command's ref. */
  onAgentCommand<S extends CommandSchema>(schema: S, handler: AgentHandler<z.infer<S>>): void {
    this.agentCommands.set(schema.shape.type.value, { schema, handler: handler as AgentHandler<never> });
  }

  onVisitorCommand<S extends CommandSchema>(schema: S, handler: VisitorHandler<z.infer<S>>): void {
    this.visitorCommands.set(schema.shape.type.value, { schema, handler: handler as VisitorHandler<never> });
  }

  /** Runs after an agent socket is accepted, before it gets commands (e.g. to send pending offers). */
  onAgentConnect(hook: (conn: AgentConnection) => Promise<void>): void {
    this.agentConnectHooks.push(hook);
  }

  /** Open sockets on this instance (read by /metrics). */
  connections(): { agents: number; visitors: number } {
    let agents = 0;
    for (const set of this.agents.values()) agents += set.size;
    return { agents, visitors: Math.max(0, this.wss.clients.size - agents) };
  }

  /**
   * Whether a supervisor's socket is open on this instance: what only supervisors read need not
   * be made by an instance none of them listens on.
   */
  hasSupervisors(): boolean {
    return this.supervisors.size > 0;
  }

  /** Delivers to the agent's sockets on every instance. */
  async pushToAgents(agentIds: string[] | 'supervisors', message: AgentServerMessage): Promise<void> {
    await this.s.bus.publish({ type: 'agent.push', agentIds, message });
  }

  /** Delivers to every visitor socket, on any instance, subscribed to the interaction. */
  async pushToVisitors(interactionId: string, message: WidgetServerMessage): Promise<void> {
    await this.s.bus.publish({ type: 'visitor.push', interactionId, message });
  }

  attach(server: Server): void {
    server.on('upgrade', (req, socket, head) => {
      this.upgrade(req, socket, head).catch((err) => {
        if (isRedisUnavailable(err)) return refuse(socket, 503, 'redis unavailable');
        this.s.log.error({ err }, 'websocket upgrade failed');
        refuse(socket, 500, 'internal error');
      });
    });
    this.s.bus.on((event) => {
      if (event.type === 'agent.push') {
        if (event.agentIds === 'supervisors') {
          for (const a of this.supervisors) a.send(event.message);
        } else {
          for (const id of event.agentIds) for (const a of this.agents.get(id) ?? []) a.send(event.message);
        }
      } else if (event.type === 'visitor.push') {
        for (const v of this.followers.get(event.interactionId) ?? []) v.send(event.message);
      } else if (event.type === 'agent.state') {
        const { type: _t, ...status } = event;
        const message: AgentServerMessage = { type: 'agent.state', status: status as never };
        for (const a of this.agents.get(event.agentId) ?? []) a.send(message);
        for (const a of this.supervisors) if (a.principal.agentId !== event.agentId) a.send(message);
      } else if (event.type === 'agent.sessions-revoked') {
        for (const a of this.agents.get(event.agentId) ?? []) a.ws.close(AGENT_CLOSE.sessionRevoked, 'session revoked');
      }
    });
    this.s.bus.onResumed(() => {
      for (const set of this.agents.values()) for (const a of set) a.send({ type: 'chat.resync' });
      const visitors = new Set([...this.followers.values()].flatMap((set) => [...set]));
      for (const v of visitors) v.send({ type: 'chat.resync' });
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
      // Cross-site WebSocket hijacking: browsers send the cookie with any page's upgrade, and
      // the Origin they set tells whose page it is. Bearer tokens are never sent on their own.
      if (token && !isBearer(req.headers) && foreignReason(req.headers, serverOrigins(req, this.s.config().main.server))) {
        return refuse(socket, 403, 'cross-site socket refused: open the desktop at its own address');
      }
      const principal = token ? await this.s.sessions.resolve(token) : null;
      if (!principal) return refuse(socket, 401, 'log in first');
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        this.onAgent(ws, principal).catch((err) => {
          this.s.log.error({ err, agentId: principal.agentId }, 'agent socket setup failed');
          ws.close(1011, 'internal error');
        });
      });
      return;
    }
    if (url.pathname === '/ws/widget') {
      const website = findWebsite(this.s.config(), url.searchParams.get('website') ?? undefined);
      if (!website) return refuse(socket, 404, 'unknown website');
      const origin = req.headers.origin;
      const frame = isWidgetFrame(req.headers, serverOrigins(req, this.s.config().main.server));
      if (!origin || (!frame && !website.origins.includes(origin))) return refuse(socket, 403, 'origin not allowed for this website');
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onVisitor(ws, website, origin));
      return;
    }
    refuse(socket, 404, 'not found');
  }

  private async onAgent(ws: WebSocket, principal: Principal): Promise<void> {
    const entry: AgentSocket = { ws, principal, send: (m) => send(ws, m) };
    let set = this.agents.get(principal.agentId);
    if (!set) this.agents.set(principal.agentId, (set = new Set()));
    set.add(entry);
    if (principal.role !== 'agent') this.supervisors.add(entry);
    this.track(ws);
    const log = this.s.log.child({ agentId: principal.agentId, socket: 'agent' });
    ws.on('close', () => {
      set.delete(entry);
      this.supervisors.delete(entry);
      if (set.size === 0) this.agents.delete(principal.agentId);
    });
    ws.on('message', (data, isBinary) => {
      const raw = parseFrame(data, isBinary);
      // Every command re-checks the session: a revocation may have raced this socket. Asked with
      // the command's count, in its round trip; on its own when that could not answer.
      let live: boolean | undefined;
      const limited = async () => {
        const r = await this.limiter.agent(principal.sessionId, this.s.config().main.security.rateLimits.agentSocketCommandsPerMinute, this.s.sessions.liveKey(principal.sessionId));
        live = r.live;
        return r.wait;
      };
      this.dispatch(this.agentCommands, entry, raw, limited, async () => {
        if (live ?? (await this.stillValid(principal))) return true;
        ws.close(AGENT_CLOSE.sessionRevoked, 'session revoked');
        return false;
      }).catch((err) => {
        log.error({ err }, 'agent command failed');
        entry.send({ type: 'error', code: 'internal', message: 'The command failed on our side; try again.', ref: refOf(raw) });
      });
    });
    // A revocation racing the upgrade: the session check passed, but it may be gone by now.
    if (!(await this.stillValid(principal))) {
      ws.close(AGENT_CLOSE.sessionRevoked, 'session revoked');
      return;
    }
    const status = await this.s.states.get(principal.agentId);
    entry.send({ type: 'hello', agentId: principal.agentId, status });
    for (const hook of this.agentConnectHooks) await hook(entry);
  }

  private async stillValid(p: Principal): Promise<boolean> {
    return this.s.sessions.isLive(p.sessionId);
  }

  private onVisitor(ws: WebSocket, website: Website, origin: string): void {
    const entry: VisitorSocket = {
      ws,
      website,
      origin,
      subscriptions: new Set(),
      subscribe: (interactionId) => {
        if (ws.readyState !== ws.OPEN) return;
        entry.subscriptions.add(interactionId);
        let set = this.followers.get(interactionId);
        if (!set) this.followers.set(interactionId, (set = new Set()));
        set.add(entry);
      },
      send: (m) => send(ws, m),
    };
    this.track(ws);
    ws.on('close', () => {
      for (const id of entry.subscriptions) {
        const set = this.followers.get(id);
        set?.delete(entry);
        if (set?.size === 0) this.followers.delete(id);
      }
    });
    const count = CommandLimiter.perSocket();
    ws.on('message', (data, isBinary) => {
      const raw = parseFrame(data, isBinary);
      this.dispatch(this.visitorCommands, entry, raw, async () => count(this.s.config().main.security.rateLimits.widgetSocketCommandsPerMinute), async () => true).catch((err) => {
        this.s.log.error({ err, website: website.id }, 'visitor command failed');
        entry.send({ type: 'error', code: 'internal', message: 'Something went wrong on our side. Try again.', ref: refOf(raw) });
      });
    });
    entry.send({ type: 'hello', website: website.id });
  }

  private async dispatch<C extends { send(m: never): void }>(
    commands: Map<string, { schema: CommandSchema; handler: (conn: C, cmd: never) => Promise<unknown> }>,
    conn: C,
    raw: unknown,
    limited: () => Promise<number | undefined>,
    precheck: () => Promise<boolean>,
  ): Promise<void> {
    const ref = refOf(raw);
    const reply = (m: object) => (conn.send as (m: object) => void)(m);
    // Every frame counts, garbage too: a flood is refused before any work is done for it.
    const wait = await limited();
    if (wait !== undefined) return reply({ type: 'error', code: 'rate_limited', message: `Too many commands. Try again in ${wait} seconds.`, ref });
    const type = (raw as { type?: unknown } | undefined)?.type;
    const entry = typeof type === 'string' ? commands.get(type) : undefined;
    if (!entry) {
      return reply({ type: 'error', code: 'invalid_command', message: raw === undefined ? 'Send JSON text frames.' : `Unknown command type ${JSON.stringify(type ?? null).slice(0, 40)}.`, ref });
    }
    const bad = invalidUnicodePath(raw);
    if (bad) return reply({ type: 'error', code: 'invalid_command', message: `Malformed ${String(type)}: ${bad} ${INVALID_UNICODE}`, ref });
    const parsed = entry.schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return reply({ type: 'error', code: 'invalid_command', message: `Malformed ${String(type)}: ${issue?.path.join('.') || 'command'} ${issue?.message ?? ''}`.trim(), ref });
    }
    try {
      if (!(await precheck())) return;
      const answer = await entry.handler(conn, parsed.data as never);
      if (answer) reply({ ...(answer as object), ref });
    } catch (raw) {
      const err = isRedisUnavailable(raw) ? redisUnavailable() : raw;
      if (err instanceof HttpError) return reply({ type: 'error', code: err.code, message: err.message, ref });
      throw err;
    }
  }

  private track(ws: WebSocket): void {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    ws.on('error', () => ws.terminate());
  }

  /** Tells every client the server is going away (1001) so desktops reconnect elsewhere. */
  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    const open = [...this.wss.clients];
    for (const ws of open) ws.close(AGENT_CLOSE.serverShutdown, 'server shutting down');
    // Give clients a moment to answer the close frame, then drop whoever did not.
    await Promise.race([
      Promise.all(open.map((ws) => (ws.readyState === ws.CLOSED ? undefined : new Promise((r) => ws.once('close', r))))),
      new Promise((r) => setTimeout(r, 1000).unref()),
    ]);
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

function send(ws: WebSocket, msg: AgentServerMessage | WidgetServerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg));
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`);
}
