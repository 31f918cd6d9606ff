// Switchboard's call control on top of the engine: the middleware chain (authenticate → route)
// and the three flows — widget call → PBX, agent softphone as a PBX extension (REGISTER, calls
// both ways), and originate-and-bridge for callbacks (originate.ts).
import { pino, type Logger } from 'pino';
import type { SipEngine } from '../engine.js';
import type { IncomingRequest, ServerResponse, AuthIdentity } from '../request.js';
import type { Credentials } from '../auth/digest.js';
import { digestAuth, type Authenticator } from '../auth/middleware.js';
import { floodLimit, type FloodLimitOptions } from '../auth/flood.js';
import { TrunkMonitor } from './trunk-monitor.js';
import { parseUri, toHeaderValue } from '../message.js';
import type { Flow } from '../transport/types.js';
import type { MediaRelay } from '../media/relay.js';
import { CallSession, type LegTarget } from './call-session.js';
import { CallEvents, type CallRecorder } from './recorder.js';
import { Registrar } from './registrar.js';
import { originate, type OriginateRequest } from './originate.js';
import { ALL_X_HEADERS, callerName, passedHeaders } from './caller-identity.js';

export interface ContextHeaderNames {
  interactionId: string;
  website: string;
  name: string;
  email: string;
  phone: string;
  /** Each form field `f` goes out as `<fieldPrefix><f>`. */
  fieldPrefix: string;
}

export const DEFAULT_CONTEXT_HEADERS: ContextHeaderNames = {
  interactionId: 'X-Interaction-Id',
  website: 'X-Website',
  name: 'X-Customer-Name',
  email: 'X-Customer-Email',
  phone: 'X-Customer-Phone',
  fieldPrefix: 'X-Form-',
};

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

/** The interaction a call belongs to, as the PBX and the agent desktop see it. */
export interface InteractionContext {
  interactionId: string;
  website?: string;
  name?: string;
  email?: string;
  phone?: string;
  fields?: Record<string, string>;
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
}

export interface CallControlOptions {
  engine: SipEngine;
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
}

export class CallControl {
  readonly events: CallEvents;
  readonly registrar: Registrar;
  /** OPTIONS keepalive to the PBX; its 'status' event reports the trunk up/down. */
  readonly trunkMonitor: TrunkMonitor;
  readonly log: Logger;
  private readonly sessions = new Map<string, CallSession>();
  private readonly headerNames: ContextHeaderNames;

  constructor(private readonly opts: CallControlOptions) {
    this.events = opts.events ?? new CallEvents();
    this.log = opts.logger ?? opts.engine.log ?? pino({ level: 'silent' });
    this.headerNames = { ...DEFAULT_CONTEXT_HEADERS, ...opts.trunk.contextHeaders };
    this.registrar = new Registrar(opts.engine, { domain: this.domain, flow: this.trunkFlow }, this.log);
    this.trunkMonitor = new TrunkMonitor(opts.engine, this.trunkFlow, this.domain, opts.keepaliveMs ?? 30_000);
    if (opts.keepaliveMs !== 0) this.trunkMonitor.start();
    const { engine } = opts;
    engine.use(floodLimit(opts.floodLimit));
    engine.use(digestAuth({ realm: opts.realm, authenticator: opts.authenticator, trustedAddresses: opts.trunk.trustedAddresses ?? [opts.trunk.host] }));
    engine.use('REGISTER', (req, res) => this.onRegister(req, res));
    engine.use('INVITE', (req, res) => this.onInvite(req, res));
  }

  get domain(): string {
    return this.opts.trunk.domain ?? this.opts.trunk.host;
  }

  get trunkFlow(): Flow {
    return { protocol: this.opts.trunk.transport, address: this.opts.trunk.host, port: this.opts.trunk.port };
  }

  /** Calls in progress (tests assert none is left over). */
  get activeSessions(): ReadonlyMap<string, CallSession> {
    return this.sessions;
  }

  newSession(interactionId?: string): CallSession {
    const { engine, media, recorder } = this.opts;
    const s = new CallSession({ engine, media, recorder, events: this.events, log: this.log, dialogKeepaliveMs: this.opts.dialogKeepaliveMs ?? 60_000 }, interactionId);
    this.sessions.set(s.id, s);
    s.once('ended', () => this.sessions.delete(s.id));
    return s;
  }

  /** X- headers carrying the interaction context to the PBX. */
  contextHeaders(ctx: InteractionContext): Record<string, string> {
    const n = this.headerNames;
    const out: Record<string, string> = {};
    const put = (name: string, v: string | undefined): void => {
      if (v !== undefined && v !== '') out[name.toLowerCase()] = toHeaderValue(v);
    };
    put(n.interactionId, ctx.interactionId);
    put(n.website, ctx.website);
    put(n.name, ctx.name);
    put(n.email, ctx.email);
    put(n.phone, ctx.phone);
    for (const [k, v] of Object.entries(ctx.fields ?? {})) {
      if (/^[A-Za-z0-9-]+$/.test(k)) put(`${n.fieldPrefix}${k}`, v);
    }
    return out;
  }

  trunkTarget(number: string, extra: Partial<LegTarget> = {}): LegTarget {
    const transport = this.opts.trunk.transport === 'udp' ? '' : `;transport=${this.opts.trunk.transport}`;
    return {
      uri: `sip:${number}@${this.domain}${transport}`,
      target: this.trunkFlow,
      profile: 'rtp',
      ...(this.opts.trunk.auth ? { auth: this.opts.trunk.auth } : {}),
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
        const session = this.newSession(route.context.interactionId);
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
        const session = this.newSession();
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
        const interactionId = req.get(this.headerNames.interactionId);
        const name = callerName(req.msg);
        const session = this.newSession(interactionId && /^[A-Za-z0-9._:-]{1,64}$/.test(interactionId) ? interactionId : undefined);
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

  /** Calls leg A, then leg B through the trunk, and bridges them (callbacks). */
  originate(request: OriginateRequest): Promise<CallSession> {
    return originate(this, this.opts.engine, request);
  }

  async close(): Promise<void> {
    this.trunkMonitor.stop();
    await Promise.all([...this.sessions.values()].map((s) => s.teardown('failed')));
    await this.registrar.close();
  }
}
