import type { JourneyType } from '@switchboard/protocol';
import type { CallInvitePayload, CallInviteState } from '@switchboard/protocol';
import { newId } from '../../kernel/db/ids.js';
import { HttpError } from '../../kernel/http/errors.js';
import type { Kernel } from '../../kernel/kernel.js';
import { redisScript } from '../../kernel/redis.js';
import type { CallsDeps } from './types.js';
import type { Principal } from '../../kernel/http/principal.js';
import type { RealtimeHub } from '../../kernel/realtime/hub.js';
import type { Interaction } from '../interactions/index.js';

/** How long the visitor has to answer an invitation. */
export const INVITE_TTL_SECONDS = 60;
/** An ended invitation is remembered a while, so a late answer hears "expired", not "unknown". */
const KEEP_SECONDS = 600;
/** Chat states in which an agent is with the visitor. */
const LIVE_STATES = ['assigned', 'conference'];

export interface InviteRecord {
  inviteId: string;
  interactionId: string;
  websiteId: string;
  agentId: string;
  agentName: string | null;
  video: boolean;
  state: CallInviteState;
  expiresAt: number;
  reason: string | null;
  /** The SIP call placed for it, once the visitor's INVITE arrived (one call per invitation). */
  callSessionId: string | null;
}

// Moves an invitation from one state to another, atomically across instances. A pending one past
// its time is expired on the spot, whoever looks first, so an answer can never beat the clock.
const TRANSITION = redisScript(`
local s = redis.call('HGET', KEYS[1], 'state')
if not s then return 'missing' end
if s ~= ARGV[1] then return s end
if s == 'pending' and ARGV[2] ~= 'expired' and tonumber(redis.call('HGET', KEYS[1], 'expiresAt')) <= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'state', 'expired')
  return 'expired'
end
redis.call('HSET', KEYS[1], 'state', ARGV[2])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'reason', ARGV[4]) end
return 'ok'`);

// Clears the chat's "open invitation" pointer only if it still points at this invitation.
const RELEASE = redisScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end return 1`);

const gone = () => new HttpError(404, 'invite_not_found', 'This invitation does not exist (any more). Ask the agent to invite you again.');

/** Why an invitation can no longer be answered, in words for whoever tried. */
function ended(state: string): HttpError {
  switch (state) {
    case 'expired':
      return new HttpError(410, 'invite_expired', 'The invitation has expired. Ask the agent to invite you again.');
    case 'cancelled':
      return new HttpError(410, 'invite_cancelled', 'The agent cancelled the invitation.');
    case 'declined':
      return new HttpError(409, 'invite_declined', 'The invitation was declined.');
    case 'accepted':
      return new HttpError(409, 'invite_accepted', 'The invitation was already accepted.');
    case 'failed':
      return new HttpError(409, 'invite_failed', 'The call for this invitation could not be set up. Ask the agent to invite you again.');
    default:
      return gone();
  }
}

/**
 * Call invitations from a chat (protocol/src/call-invite.ts). The record lives in Redis, so any
 * instance can answer for it; every change is pushed on the bus to the visitor's widget sockets
 * following the chat and to the inviting agent's desktops, wherever they are connected.
 */
export class CallInvites {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly s: Kernel,
    private readonly d: CallsDeps,
    private readonly hub: RealtimeHub,
    /** Whether the agent's softphone is registered with this instance's SIP engine. */
    private readonly softphoneOf: (agentId: string) => Promise<'registered' | 'no-extension' | 'not-registered' | 'sip-down'>,
  ) {}

  private key(id: string) {
    return this.s.redis.key('call-invite', id);
  }
  private openKey(interactionId: string) {
    return this.s.redis.key('call-invite-open', interactionId);
  }

  async get(inviteId: string): Promise<InviteRecord | null> {
    if (!/^[0-9a-f]{32}$/.test(inviteId)) return null;
    const h = await this.s.redis.client.hgetall(this.key(inviteId));
    if (!h.state) return null;
    const r: InviteRecord = {
      inviteId, interactionId: h.interactionId!, websiteId: h.websiteId!, agentId: h.agentId!, agentName: h.agentName || null,
      video: h.video === '1', state: h.state as CallInviteState, expiresAt: Number(h.expiresAt), reason: h.reason || null, callSessionId: h.callSessionId || null,
    };
    // Nobody may have run the timer (its instance stopped): past its time, pending means expired.
    if (r.state === 'pending' && r.expiresAt <= Date.now()) {
      await this.move(r, 'pending', 'expired').catch((err: unknown) => {
        if (!(err instanceof HttpError)) throw err;
      });
    }
    return r;
  }

  static payload(r: InviteRecord): CallInvitePayload {
    return { inviteId: r.inviteId, interactionId: r.interactionId, video: r.video, agentName: r.agentName, state: r.state, expiresAt: new Date(r.expiresAt).toISOString(), ...(r.reason ? { reason: r.reason } : {}) };
  }

  /** The agent's `call.invite`: only an agent handling this chat, while it is open. */
  async invite(p: Principal, interactionId: string, video: boolean): Promise<CallInvitePayload> {
    const i = await this.d.routing.get(interactionId);
    if (!i || i.channel !== 'chat') throw new HttpError(404, 'not_found', 'No chat with this id.');
    const live = await this.d.routing.live(interactionId);
    if (live.owner !== p.agentId && live.conf !== p.agentId) throw new HttpError(403, 'not_yours', 'Only the agent handling this chat can invite the visitor to a call.');
    if (!LIVE_STATES.includes(i.state) || !i.websiteId) throw new HttpError(409, 'chat_closed', 'This chat is not open any more.');
    const phone = await this.softphoneOf(p.agentId);
    if (phone === 'sip-down') throw new HttpError(503, 'calls_unavailable', 'Calls are not available right now.');
    if (phone === 'no-extension') throw new HttpError(409, 'no_extension', 'You have no phone extension, so no call can reach you. Ask an administrator to give you one.');
    if (phone === 'not-registered') throw new HttpError(409, 'no_softphone', 'Your softphone is not connected: connect it, then invite the visitor again.');
    const agent = await this.d.agents.get(p.agentId);
    const r: InviteRecord = {
      inviteId: newId(), interactionId, websiteId: i.websiteId, agentId: p.agentId, agentName: agent.displayName,
      video, state: 'pending', expiresAt: Date.now() + INVITE_TTL_SECONDS * 1000, reason: null, callSessionId: null,
    };
    // One open invitation per chat: a second would leave the visitor two buttons for one agent.
    const taken = await this.s.redis.client.set(this.openKey(interactionId), r.inviteId, 'EX', INVITE_TTL_SECONDS, 'NX');
    if (!taken) {
      const current = await this.s.redis.client.get(this.openKey(interactionId));
      const other = current ? await this.get(current) : null;
      if (other?.state === 'pending') throw new HttpError(409, 'invite_pending', 'The visitor has not answered the previous invitation yet. Cancel it first to send another.');
      await this.s.redis.client.set(this.openKey(interactionId), r.inviteId, 'EX', INVITE_TTL_SECONDS);
    }
    const key = this.key(r.inviteId);
    await this.s.redis.client
      .multi()
      .hset(key, { interactionId, websiteId: r.websiteId, agentId: r.agentId, agentName: r.agentName ?? '', video: video ? '1' : '0', state: 'pending', expiresAt: String(r.expiresAt) })
      .expire(key, INVITE_TTL_SECONDS + KEEP_SECONDS)
      .exec();
    const timer = setTimeout(() => {
      this.timers.delete(r.inviteId);
      void this.get(r.inviteId).catch((err) => this.s.log.warn({ err, inviteId: r.inviteId }, 'could not expire a call invitation'));
    }, INVITE_TTL_SECONDS * 1000 + 50);
    timer.unref();
    this.timers.set(r.inviteId, timer);
    await this.journey(i, 'call.invite.sent', p.agentId, { invite: r.inviteId, video });
    await this.announce(r);
    return CallInvites.payload(r);
  }

  /** The chat's invitation still waiting for an answer, if any (a widget that just (re)subscribed). */
  async pendingFor(interactionId: string): Promise<CallInvitePayload | null> {
    const id = await this.s.redis.client.get(this.openKey(interactionId));
    const r = id ? await this.get(id) : null;
    return r?.state === 'pending' && r.interactionId === interactionId ? CallInvites.payload(r) : null;
  }

  /** The chat ended: an invitation still on offer goes with it (whichever instance hears it first). */
  async chatEnded(interactionId: string): Promise<void> {
    const id = await this.s.redis.client.get(this.openKey(interactionId));
    const r = id ? await this.get(id) : null;
    if (r?.state !== 'pending') return;
    await this.move(r, 'pending', 'cancelled', 'The chat ended.').catch((err: unknown) => {
      if (!(err instanceof HttpError)) throw err;
    });
  }

  /** The agent's `call.invite.cancel`: the inviting agent only, while the visitor has not answered. */
  async cancel(p: Principal, inviteId: string): Promise<CallInvitePayload> {
    const r = await this.get(inviteId);
    if (!r || r.agentId !== p.agentId) throw gone();
    await this.move(r, 'pending', 'cancelled');
    return CallInvites.payload(r);
  }

  /** The widget's `call.invite.decline`: only a socket that proved it follows this chat. */
  async decline(subscriptions: ReadonlySet<string>, inviteId: string): Promise<void> {
    const r = await this.get(inviteId);
    // Another chat's invitation is answered exactly like an unknown one, so ids cannot be probed.
    if (!r || !subscriptions.has(r.interactionId)) throw gone();
    await this.move(r, 'pending', 'declined');
  }

  /**
   * The visitor joins (POST …/calls with the invite): the invitation must be this chat's and
   * pending, the chat open and the agent's softphone reachable; then it is accepted, once.
   */
  async accept(chat: Interaction, inviteId: string): Promise<InviteRecord> {
    const r = await this.get(inviteId);
    if (!r || r.interactionId !== chat.id) throw gone();
    if (r.state !== 'pending') throw ended(r.state);
    if (!LIVE_STATES.includes(chat.state)) throw new HttpError(409, 'chat_closed', 'This chat has ended, and the invitation with it.');
    // The chat may have been transferred since: the call must not ring an agent who left it.
    const live = await this.d.routing.live(chat.id);
    if (live.owner !== r.agentId && live.conf !== r.agentId) {
      await this.fail(r, 'The agent who sent the invitation has left the chat.');
      throw new HttpError(409, 'agent_left', 'The agent who invited you is no longer in this chat. Ask in the chat for a new invitation.');
    }
    const phone = await this.softphoneOf(r.agentId);
    if (phone === 'sip-down') throw new HttpError(503, 'calls_unavailable', 'Calls are not available right now. Try again later.');
    if (phone !== 'registered') {
      await this.fail(r, "The agent's phone is not connected, so the call cannot be placed.");
      throw new HttpError(409, 'agent_unreachable', "The agent's phone is not connected right now, so the call cannot be placed. Tell the agent in the chat.");
    }
    await this.move(r, 'pending', 'accepted');
    await this.journey(chat, 'call.invite.accepted', null, { invite: r.inviteId, video: r.video });
    return r;
  }

  /** The call could not be set up (e.g. the softphone went away between accept and INVITE). */
  async fail(r: InviteRecord, reason: string): Promise<void> {
    const from = r.state;
    if (from !== 'pending' && from !== 'accepted') return;
    await this.move(r, from, 'failed', reason).catch((err) => this.s.log.warn({ err, inviteId: r.inviteId }, 'could not mark a call invitation failed'));
  }

  /** Ties the SIP call to the invitation; false when one was already placed for it. */
  async claimCall(inviteId: string, callSessionId: string): Promise<boolean> {
    return (await this.s.redis.client.hsetnx(this.key(inviteId), 'callSessionId', callSessionId)) === 1;
  }

  /** Moves the state or throws what the caller should hear; either way `r` ends up current. */
  private async move(r: InviteRecord, from: CallInviteState, to: CallInviteState, reason = ''): Promise<void> {
    const out = String(await TRANSITION(this.s.redis.client, [this.key(r.inviteId)], [from, to, String(Date.now()), reason]));
    if (out === 'missing') throw gone();
    if (out !== 'ok' && out !== 'expired') {
      r.state = out as CallInviteState;
      throw ended(out);
    }
    r.state = out === 'ok' ? to : 'expired';
    if (out === 'ok' && reason) r.reason = reason;
    if (r.state !== 'pending') {
      clearTimeout(this.timers.get(r.inviteId));
      this.timers.delete(r.inviteId);
      await RELEASE(this.s.redis.client, [this.openKey(r.interactionId)], [r.inviteId]);
    }
    await this.announce(r);
    if (out === 'expired' && to !== 'expired') throw ended('expired');
  }

  private async announce(r: InviteRecord): Promise<void> {
    const invite = CallInvites.payload(r);
    await Promise.all([this.hub.pushToVisitors(r.interactionId, { type: 'call.invite', invite }), this.hub.pushToAgents([r.agentId], { type: 'call.invite.state', invite })]);
  }

  private async journey(i: Interaction, type: JourneyType, agentId: string | null, data: Record<string, unknown>): Promise<void> {
    await this.d.routing.journey(i, type, agentId, data);
  }

  close(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
