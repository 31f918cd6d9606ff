// Switchboard's call control on top of the engine: the middleware chain (authenticate → route)
// and the three flows — widget call → PBX, agent softphone as a PBX extension (REGISTER, calls
// both ways), and originate-and-bridge for callbacks (originate.ts).
import { pino, type Logger } from 'pino';
import type { SipEngineApi } from '../engine-api.js';
import type { IncomingRequest, ServerResponse, AuthIdentity } from '../request.js';
import type { Credentials, NonceIssuer } from '../auth/digest.js';
import { digestAuth, type Authenticator } from '../auth/middleware.js';
import { floodLimit, type FloodLimitOptions } from '../auth/flood.js';
import { TrunkMonitor } from './trunk-monitor.js';
import { parseUri, toHeaderValue } from '../message.js';
import type { Flow } from '../transport/types.js';
import type { MediaRelay } from '../media/relay.js';
import { CallSession, type LegTarget } from './call-session.js';
import { CallEvents, type CallRecorder, type CallSessionInfo, type EndCause } from './recorder.js';
import { LOST_CAUSES, type LiveCall, type LiveCallStore } from './live-calls.js';
import { answerLostDialogs, endLostCall, watchMedia, type LostCallDeps } from './lost-calls.js';
import { Registrar } from './registrar.js';
import { originate, type OriginateRequest, type SessionKind, type TrunkRoute } from './originate.js';
import {
  connectAgentLeg, dialCustomerFirst, type AgentLegRequest, type AgentLegResult, type CustomerAnswer, type CustomerFirstCall, type CustomerFirstRequest,
} from './customer-first.js';
import { ALL_X_HEADERS, callerName, passedHeaders } from './caller-identity.js';
import { DEFAULT_CONTEXT_HEADERS, type ContextHeaderNames, type InteractionContext } from './interaction-context.js';

export { DEFAULT_CONTEXT_HEADERS, type ContextHeaderNames, type InteractionContext } from './interaction-context.js';

export interface TrunkConfig {
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Host part of URIs sent to the PBX (default: host). */
  domain?: string;
  /** Answer the PBX's 401/407 on trunk calls with these. */
  auth?: Credentials;
  /** From user of widget calls (default "switchboard"). */
  fromUser?: string;
  /**
   * Which context rides to the PBX, under which header: only what is named here is sent (the
   * administrator chooses what leaves). Without it, every item under its default name.
   */
  contextHeaders?: Partial<ContextHeaderNames>;
  /** Sources trusted without digest (default: the trunk host). */
  trustedAddresses?: string[];
  /**
   * Headers of the PBX's INVITE passed on to the agent's softphone when the PBX calls an
   * extension: names, and `X-*` for every X- header (default `['X-*']`). Values are cleaned and
   * bounded (`caller-identity.ts`).
   */
  inboundHeaders?: string[];
}

export interface WidgetRoute {
  /** PBX queue or extension number. */
  destination: string;
  context: InteractionContext;
}

export interface AgentExtension {
  extension: string;
  /** The extension's password at the PBX; when set, Switchboard registers it there. */
  pbxPassword?: string;
  displayName?: string;
}

/** Implemented by the server: where calls go. */
export interface CallRouter {
  routeWidgetCall(identity: Extract<AuthIdentity, { kind: 'call-token' }>, req: IncomingRequest): Promise<WidgetRoute | undefined>;
  agentExtension(agentId: string): Promise<AgentExtension | undefined>;
  /** The agent whose extension this is (where an agent's transfer of a callback goes); none by default. */
  agentOfExtension?(extension: string): Promise<string | undefined>;
}

export interface CallControlOptions {
  engine: SipEngineApi;
  media: MediaRelay;
  recorder: CallRecorder;
  router: CallRouter;
  authenticator: Authenticator;
  realm: string;
  trunk: TrunkConfig;
  events?: CallEvents;
  logger?: Logger;
  /** Per-source limit on requests outside dialogs (defaults: 20/s, bursts of 40). */
  floodLimit?: FloodLimitOptions;
  /** OPTIONS keepalive interval towards the trunk, ms (default 30 s; 0 disables). */
  keepaliveMs?: number;
  /** In-dialog OPTIONS to UDP/TCP legs of answered calls, ms (default 60 s; 0 disables). */
  dialogKeepaliveMs?: number;
  /** Where answered calls are kept so that another process can end them if this one dies. */
  liveCalls?: LiveCallStore;
  /**
   * How often answered calls' media sessions are checked with the relay, ms (default 10 s; 0
   * disables): a restarted rtpengine has forgotten them, and such a call would stay up silent.
   */
  mediaCheckMs?: number;
  /**
   * The digest nonces browsers answer; instances sharing one drachtio-server must share the
   * secret (a challenge from one instance is answered to whichever gets the next INVITE).
   */
  nonces?: NonceIssuer;
}

export class CallControl {
  readonly events: CallEvents;
  readonly registrar: Registrar;
  /** OPTIONS keepalive to the PBX; its 'status' event reports the trunk up/down. */
  readonly trunkMonitor: TrunkMonitor;
  readonly log: Logger;
  private readonly sessions = new Map<string, CallSession>();
  private readonly headerNames: Partial<ContextHeaderNames>;
  private stopMediaWatch?: () => void;

  constructor(private readonly opts: CallControlOptions) {
    this.events = opts.events ?? new CallEvents();
    this.log = opts.logger ?? opts.engine.log ?? pino({ level: 'silent' });
    this.headerNames = opts.trunk.contextHeaders ? { ...opts.trunk.contextHeaders } : DEFAULT_CONTEXT_HEADERS;
    this.registrar = new Registrar(opts.engine, { domain: this.domain, uri: this.trunkUri(), flow: this.trunkFlow }, this.log);
    this.trunkMonitor = new TrunkMonitor(opts.engine, this.trunkFlow, this.trunkUri(), opts.keepaliveMs ?? 30_000);
    if (opts.keepaliveMs !== 0) this.trunkMonitor.start();
    const { engine } = opts;
    engine.use(floodLimit(opts.floodLimit));
    engine.use(digestAuth({
      realm: opts.realm, authenticator: opts.authenticator, trustedAddresses: opts.trunk.trustedAddresses ?? [opts.trunk.host],
      ...(opts.nonces ? { nonces: opts.nonces } : {}),
    }));
    engine.use('REGISTER', (req, res) => this.onRegister(req, res));
    engine.use('INVITE', (req, res) => this.onInvite(req, res));
    if (opts.liveCalls) answerLostDialogs(this.lostCallDeps, opts.liveCalls);
    const every = opts.mediaCheckMs ?? 10_000;
    if (every > 0 && opts.media.lostSessions) this.stopMediaWatch = watchMedia(opts.media, () => this.sessions.values(), every, this.log);
  }

  private get lostCallDeps(): LostCallDeps {
    const { engine, media, recorder, liveCalls } = this.opts;
    return { engine, media, recorder, events: this.events, log: this.log, ...(liveCalls ? { liveCalls } : {}) };
  }

  /** Ends a call of a process that died, from its live-call record (`lost-calls.ts`). */
  endLost(call: LiveCall, cause: EndCause): Promise<void> {
    return endLostCall(this.lostCallDeps, call, cause);
  }


  get domain(): string {
    return this.opts.trunk.domain ?? this.opts.trunk.host;
  }

  get trunkFlow(): Flow {
    return { protocol: this.opts.trunk.transport, address: this.opts.trunk.host, port: this.opts.trunk.port };
  }

  /**
   * The Request-URI of every request to the trunk: its host, port and transport as configured. A
   * proxy or PBX that routes on the Request-URI would otherwise send the request on to port 5060.
   */
  trunkUri(user?: string, trunk: TrunkRoute = this.opts.trunk): string {
    const { port, transport } = trunk;
    return `sip:${user ? `${user}@` : ''}${uriHost(trunk.domain ?? trunk.host)}:${port}${transport === 'udp' ? '' : `;transport=${transport}`}`;
  }

  /** Calls in progress (tests assert none is left over). */
  get activeSessions(): ReadonlyMap<string, CallSession> {
    return this.sessions;
  }

  newSession<T extends CallSession = CallSession>(interactionId?: string, info: CallSessionInfo = {}, kind?: SessionKind<T>, id?: string): T {
    const { engine, media, recorder } = this.opts;
    const Kind = kind ?? (CallSession as unknown as SessionKind<T>);
    const s = new Kind({
      engine, media, recorder, events: this.events, log: this.log, dialogKeepaliveMs: this.opts.dialogKeepaliveMs ?? 60_000,
      ...(this.opts.liveCalls ? { liveCalls: this.opts.liveCalls } : {}),
    }, interactionId, info, id);
    this.sessions.set(s.id, s);
    s.once('ended', () => this.sessions.delete(s.id));
    return s;
  }

  /** X- headers carrying the interaction context to the PBX: only those the trunk names. */
  contextHeaders(ctx: InteractionContext): Record<string, string> {
    const n = this.headerNames;
    const out: Record<string, string> = {};
    const put = (name: string | undefined, v: string | undefined): void => {
      if (name && v !== undefined && v !== '') out[name.toLowerCase()] = toHeaderValue(v);
    };
    put(n.interactionId, ctx.interactionId);
    put(n.website, ctx.website);
    put(n.name, ctx.name);
    put(n.email, ctx.email);
    put(n.phone, ctx.phone);
    put(n.queue, ctx.queue);
    for (const [k, v] of Object.entries(n.fieldPrefix ? (ctx.fields ?? {}) : {})) {
      if (/^[A-Za-z0-9-]+$/.test(k)) put(`${n.fieldPrefix}${k}`, v);
    }
    return out;
  }

  /** A leg to `number` through the trunk (call control's own, or another one a callback queue names). */
  trunkTarget(number: string, extra: Partial<LegTarget> = {}, trunk: TrunkRoute = this.opts.trunk): LegTarget {
    return {
      uri: this.trunkUri(number, trunk),
      to: `sip:${number}@${uriHost(trunk.domain ?? trunk.host)}`,
      target: { protocol: trunk.transport, address: trunk.host, port: trunk.port },
      profile: 'rtp',
      trunk: true,
      ...(trunk.auth ? { auth: trunk.auth } : {}),
      ...extra,
    };
  }

  private async onInvite(req: IncomingRequest, res: ServerResponse): Promise<void> {
    const auth = req.locals.auth;
    if (!auth) {
      res.send(403);
      return;
    }
    switch (auth.kind) {
      case 'call-token': {
        const route = await this.opts.router.routeWidgetCall(auth, req);
        if (!route) {
          res.send(404, 'No Route For This Call');
          return;
        }
        const session = this.newSession(route.context.interactionId, { kind: 'widget' });
        const fromUser = this.opts.trunk.fromUser ?? 'switchboard';
        await session.bridge(req, res, 'webrtc', this.trunkTarget(route.destination, {
          from: `sip:${fromUser}@${this.domain}`,
          ...(route.context.name ? { fromName: route.context.name } : {}),
          headers: this.contextHeaders(route.context),
        }));
        return;
      }
      case 'agent': {
        const ext = await this.opts.router.agentExtension(auth.agentId);
        const dialed = parseUri(req.uri)?.user;
        if (!ext || !dialed) {
          res.send(ext ? 484 : 403, ext ? 'Address Incomplete' : 'No Extension For This Agent');
          return;
        }
        const session = this.newSession(undefined, { kind: 'softphone', agentId: auth.agentId });
        await session.bridge(req, res, 'webrtc', this.trunkTarget(dialed, {
          from: `sip:${ext.extension}@${this.domain}`,
          ...(ext.displayName ? { fromName: ext.displayName } : {}),
          ...(ext.pbxPassword ? { auth: { username: ext.extension, password: ext.pbxPassword } } : {}),
        }));
        return;
      }
      case 'trusted-peer': {
        // The PBX calls an agent extension registered through us.
        const user = parseUri(req.uri)?.user ?? '';
        const binding = this.registrar.lookup(user);
        if (!binding) {
          res.send(480, 'Temporarily Unavailable');
          return;
        }
        // The softphone shows who is calling: the caller's name and number (From), and the
        // PBX's X- headers (queue, caller data, Switchboard's context when the PBX hands a
        // widget call on).
        const interactionId = this.headerNames.interactionId ? req.get(this.headerNames.interactionId) : undefined;
        const name = callerName(req.msg);
        const callerUser = parseUri(req.from.uri)?.user?.slice(0, 32);
        const session = this.newSession(interactionId && /^[A-Za-z0-9._:-]{1,64}$/.test(interactionId) ? interactionId : undefined, {
          kind: 'inbound', agentId: binding.agentId,
          ...(callerUser ? { callerNumber: callerUser } : {}),
          ...(name ? { callerName: name } : {}),
        });
        await session.bridge(req, res, 'rtp', {
          uri: binding.contact,
          target: binding.flow,
          profile: 'webrtc',
          // A URI the parser accepted has no spaces, quotes or brackets; only its size is left to bound.
          from: req.from.uri.length <= 256 ? req.from.uri : 'sip:anonymous@anonymous.invalid',
          ...(name ? { fromName: name } : {}),
          to: `sip:${binding.extension}@${this.domain}`,
          headers: passedHeaders(req.msg, this.opts.trunk.inboundHeaders ?? [ALL_X_HEADERS]),
        });
        return;
      }
    }
  }

  private async onRegister(req: IncomingRequest, res: ServerResponse): Promise<void> {
    const auth = req.locals.auth;
    if (auth?.kind !== 'agent') {
      res.send(403, 'Only agents register');
      return;
    }
    const ext = await this.opts.router.agentExtension(auth.agentId);
    if (!ext) {
      res.send(403, 'No Extension For This Agent');
      return;
    }
    const contacts = req.msg.headers.contact;
    const contact = Array.isArray(contacts) ? contacts[0] : undefined;
    const expiresRaw = contact?.params.expires ?? req.get('expires') ?? '600';
    const expires = Math.min(Math.max(Number.parseInt(String(expiresRaw), 10) || 0, 0), 3600);
    if (contacts === '*' || expires === 0 || !contact) {
      // The phone is told at once; the PBX unregistration must not make it wait on a slow PBX.
      void this.registrar.remove(ext.extension);
      res.send(200);
      return;
    }
    const status = await this.registrar.add(
      { extension: ext.extension, agentId: auth.agentId, flow: req.source, contact: contact.uri, expiresAt: Date.now() + expires * 1000 },
      ext.pbxPassword ? { username: ext.extension, password: ext.pbxPassword } : undefined,
      expires,
    );
    if (status >= 300) {
      res.send(status === 403 ? 403 : 503, 'PBX Refused The Extension Registration');
      return;
    }
    res.send(200, 'OK', { headers: { contact: [{ ...contact, params: { ...contact.params, expires: String(expires) } }] } });
  }

  session(callSessionId: string): CallSession | undefined {
    return this.sessions.get(callSessionId);
  }

  /** Ends a call from the server side (agent desktop, supervisor, interaction closed). */
  async hangup(callSessionId: string): Promise<boolean> {
    const s = this.sessions.get(callSessionId);
    if (!s) return false;
    await s.teardown('callee-hangup');
    return true;
  }

  agentOfExtension(extension: string): Promise<string | undefined> {
    return this.opts.router.agentOfExtension?.(extension) ?? Promise.resolve(undefined);
  }

  /** Calls leg A, then leg B through the trunk, and bridges them (callbacks). */
  originate(request: OriginateRequest): Promise<CallSession> {
    return originate(this, this.opts.engine, request);
  }

  /** Calls the customer first, an agent joins later (customer-first callbacks, customer-first.ts). */
  dialCustomer(request: CustomerFirstRequest): { session: CustomerFirstCall; answered: Promise<CustomerAnswer> } {
    return dialCustomerFirst(this, this.opts.engine, request);
  }

  /** Rings the agent for a customer waiting on a customer-first call, and bridges them. */
  connectAgent(session: CustomerFirstCall, request: AgentLegRequest): Promise<AgentLegResult> {
    return connectAgentLeg(this, session, request);
  }

  async close(): Promise<void> {
    this.trunkMonitor.stop();
    this.stopMediaWatch?.();
    // A stop is not a failure: the records and the widget say the service was restarting.
    await Promise.all([...this.sessions.values()].map((s) => s.teardown(LOST_CAUSES.shutdown)));
    await this.registrar.close();
  }
}

/** A host as written in a SIP URI: IPv6 literals in brackets. */
function uriHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}
