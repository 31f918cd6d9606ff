import type Router from '@koa/router';
import { ADMINS, ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import { HttpError, badRequest, forbidden, notFound } from '../../kernel/http/errors.js';
import { newId } from '../../kernel/db/ids.js';
import type { Kernel } from '../../kernel/kernel.js';
import { hoursStatus } from '../websites/index.js';
import type { Interaction } from '../interactions/index.js';
import type { CallsDeps } from './types.js';
import type { Website } from '../../kernel/config/schema.js';
import type { Principal } from '../../kernel/http/principal.js';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { CallProbeAnswer, PendingCallInvite, SipCredentials, StartedCall } from '@switchboard/protocol';
import { sdpProblem } from '@switchboard/sip';
import { originateBody, probeBody, widgetCallBody } from './schema.js';
import type { Calls } from './calls.js';
import type { CallInvites } from './invites.js';
import { INVITE_TARGET_USER } from './invite-calls.js';
import { bearer, hashToken } from '../intake/index.js';

/** How long the device test's media session lives: the browser checks within it. */
const PROBE_SECONDS = 15;

const sipDown = () => new HttpError(503, 'calls_unavailable', 'Calls are not available right now. Try the chat or ask for a callback.');

/**
 * The chat whose visitor token came with the request; unknown chat and wrong token read the same,
 * so chat ids cannot be probed. The same rule as the chat module's own routes (ChatVisitors.authorize).
 */
async function visitorChat(d: CallsDeps, ctx: Context, website: Website, interactionId: string): Promise<Interaction> {
  const token = bearer(ctx);
  if (!token) throw new HttpError(401, 'token_required', "Send the chat's token (Authorization: Bearer <token>) to join the agent's call.");
  const i = await d.routing.get(interactionId);
  const expected = i?.visitorTokenHash ? Buffer.from(i.visitorTokenHash, 'hex') : Buffer.alloc(32);
  const ok = timingSafeEqual(expected, Buffer.from(hashToken(token), 'hex')) && i?.channel === 'chat' && i.websiteId === website.id;
  if (!ok || !i) throw forbidden('This chat token is not valid for this chat.');
  return i;
}

/** `live`: the SIP side and the invitations once the module has started them (undefined before and when off). */
export function callRoutes(router: Router, deps: RouteDeps, s: Kernel, d: CallsDeps, live: { calls: () => Calls | undefined; invites: () => CallInvites | undefined }): void {
  const { calls, invites } = live;
  mount(router, deps, {
    method: 'post',
    path: '/api/widget/:websiteId/calls',
    summary: 'Start a widget call or video call: returns the one-call SIP credentials and where to connect',
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    body: widgetCallBody,
    handler: async (ctx, { body }) => {
      const website = ctx.state.website as Website;
      if (body.inviteId && body.interactionId) {
        // The agent asked for this call from the chat: no queue, hours or channel switch applies.
        const chat = await visitorChat(d, ctx, website, body.interactionId);
        const inv = invites();
        const sip = calls();
        if (!inv || !sip) throw sipDown();
        const invite = await inv.accept(chat, body.inviteId);
        const ttl = s.config().main.sip.callTokenTtlSeconds;
        const token = await sip.credentials.issueCallToken(chat.id, ttl, invite.inviteId);
        ctx.status = 201;
        return {
          interactionId: chat.id,
          inviteId: invite.inviteId,
          sip: { wsUrl: sip.wsUrl, domain: sip.domain, target: `sip:${INVITE_TARGET_USER}@${sip.domain}`, username: token.username, password: token.password, expiresInSeconds: ttl },
          video: invite.video,
        } satisfies StartedCall;
      }
      const channelName = body.video ? 'video' : 'call';
      const channel = website.channels[channelName];
      if (!channel.enabled || !channel.queue) throw badRequest(`This website does not offer ${body.video ? 'video calls' : 'calls'}.`, [{ field: 'video', problem: `${channelName} is not enabled` }]);
      const hours = hoursStatus(s.config().calendars.find((c) => c.id === website.hours));
      if (!hours.open) throw new HttpError(409, 'closed', `We are closed right now.${hours.nextOpening ? ` We open again at ${hours.nextOpening}.` : ''}`);
      const sip = calls();
      if (!sip) throw sipDown();
      // The visitor's proof that this waiting call is theirs (keep my place); only its hash is kept.
      const visitorToken = randomBytes(32).toString('base64url');
      const contact = body.name || body.email || body.phone ? await d.contacts.findOrCreate({ name: body.name ?? null, email: body.email ?? null, phone: body.phone ?? null }) : null;
      const interaction = await d.routing.createForCall({
        channel: body.video ? 'video' : 'phone', queueId: channel.queue, websiteId: website.id, contactId: contact?.id ?? null, routingVariables: body.fields,
        visitorTokenHash: hashToken(visitorToken),
        step: { type: 'call.requested', data: { video: body.video, website: website.id } },
      });
      const ttl = s.config().main.sip.callTokenTtlSeconds;
      const token = await sip.credentials.issueCallToken(interaction.id, ttl);
      ctx.status = 201;
      return {
        interactionId: interaction.id,
        sip: { wsUrl: sip.wsUrl, domain: sip.domain, target: `sip:call@${sip.domain}`, username: token.username, password: token.password, expiresInSeconds: ttl },
        video: body.video,
        token: visitorToken,
      } satisfies StartedCall;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/widget/:websiteId/calls/invites/:interactionId',
    summary: "The chat's call invitation waiting for the visitor's answer, if any (for a widget that was away when it came)",
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    handler: async (ctx) => {
      const id = String(ctx.params.interactionId);
      if (!/^[0-9a-f]{32}$/.test(id)) throw badRequest('Give the chat id (32 hex characters).', [{ field: 'interactionId', problem: 'must be an id' }]);
      const chat = await visitorChat(d, ctx, ctx.state.website as Website, id);
      return { invite: (await invites()?.pendingFor(chat.id)) ?? null } satisfies PendingCallInvite;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/widget/:websiteId/calls/probe',
    summary: "The device test's media check: the media server answers the browser's offer, so the browser can try to reach it (ICE, DTLS) before calling",
    tag: 'widget',
    access: 'website',
    rateLimit: 'widget',
    body: probeBody,
    handler: async (_ctx, { body }) => {
      const sip = calls();
      if (!sip) throw sipDown();
      const problem = sdpProblem(body.sdp);
      if (problem) throw badRequest(`The offer is not usable: ${problem}.`, [{ field: 'sdp', problem }]);
      // The same two steps as a real call, with the media server's own PBX-side SDP as the answer:
      // the browser then meets exactly what it will meet in a call (ICE, DTLS, the relay's address).
      const sessionId = `probe-${newId()}`;
      const fromTag = newId();
      sip.probes.add(sessionId);
      const drop = () => {
        sip.probes.delete(sessionId);
        return sip.media.delete(sessionId);
      };
      try {
        const pbxSide = await sip.media.offer({ sessionId, fromTag, sdp: body.sdp, profile: 'rtp' });
        const sdp = await sip.media.answer({ sessionId, fromTag, toTag: newId(), sdp: pbxSide, profile: 'webrtc' });
        setTimeout(() => void drop(), PROBE_SECONDS * 1000).unref();
        return { sdp, seconds: PROBE_SECONDS } satisfies CallProbeAnswer;
      } catch (err) {
        await drop();
        s.log.warn({ err }, 'media probe failed');
        throw new HttpError(503, 'media_unavailable', 'Our media server did not answer. Calls may not work right now.');
      }
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/sip/credentials',
    summary: "The softphone's SIP account: where to register and the secret, valid while the session lasts",
    tag: 'calls',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const sip = calls();
      if (!sip) throw sipDown();
      const p = ctx.state.principal as Principal;
      const agent = await d.agents.get(p.agentId);
      const cred = await sip.credentials.agentSecret(agent, s.config().main.security.sessionTtlHours * 3600);
      return { wsUrl: sip.wsUrl, domain: sip.domain, extension: agent.extension, uri: `sip:${agent.extension ?? agent.username}@${sip.domain}`, ...cred } satisfies SipCredentials;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/admin/sip',
    summary: "This instance's SIP engine now: its live dialogs and calls (both fall to 0 once no call is up; a dialog left over is a leak)",
    tag: 'admin',
    access: ADMINS,
    rateLimit: 'api',
    handler: async () => {
      const sip = calls();
      if (!sip) throw sipDown();
      return { dialogs: sip.engine.dialogs.size, calls: sip.control.activeSessions.size };
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/calls/originate',
    summary: "Call an agent's softphone (or extension through the PBX), then the customer's number, and bridge them",
    tag: 'calls',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: originateBody,
    handler: async (ctx, { body }) => {
      const sip = calls();
      if (!sip) throw sipDown();
      const p = ctx.state.principal as Principal;
      const agentId = body.agentId ?? p.agentId;
      if (agentId !== p.agentId && p.role === 'agent') throw forbidden('Agents may only place calls from their own phone.');
      const agent = await d.agents.get(agentId);
      if (!agent.extension) throw badRequest(`${agent.displayName} has no extension to call first.`, [{ field: 'agentId', problem: 'agent has no extension' }]);
      if (body.interactionId) await mayCallAbout(d, p, body.interactionId);
      const session = await sip.control.originate({
        a: { kind: 'agent', agentId: agent.id, extension: agent.extension, displayName: agent.displayName },
        bNumber: body.number,
        ...(body.interactionId ? { context: { interactionId: body.interactionId } } : {}),
      });
      ctx.status = 202;
      return { callId: session.id.replace(/-/g, '') };
    },
  });
}

/**
 * A call placed about an interaction lands in its record and journey: agents may do so only for
 * an interaction they handle (owner or conference guest) or handled last; supervisors for any.
 */
async function mayCallAbout(d: CallsDeps, p: Principal, interactionId: string): Promise<void> {
  const i = await d.routing.get(interactionId);
  if (!i) throw notFound('Interaction');
  if (p.role !== 'agent' || i.assignedAgentId === p.agentId) return;
  const live = await d.routing.live(interactionId);
  if (live.owner === p.agentId || live.conf === p.agentId) return;
  throw new HttpError(403, 'not_yours', 'This interaction is not assigned to you.');
}
