import { digestAuth, floodLimit, parseUri, type Authenticator, type CallControl, type Middleware, type NonceIssuer } from '@switchboard/sip';
import type { DataSource } from 'typeorm';
import type { Logger } from '../../kernel/logger.js';
import { Interaction } from '../interactions/index.js';
import { Contact } from '../contacts/index.js';
import type { CallInvites } from './invites.js';
import type { SipCredentialStore } from './credentials.js';
import type { MysqlCallRecorder } from './recorder.js';

/** The Request-URI user a visitor dials to join an invitation (the widget gets it as its target). */
export const INVITE_TARGET_USER = 'invite';

export interface InviteCallDeps {
  realm: string;
  /** SIP domain of the softphones (the To of the call to them). */
  domain: string;
  trustedAddresses: string[];
  authenticator: Authenticator;
  credentials: SipCredentialStore;
  invites: () => CallInvites | undefined;
  control: () => CallControl | undefined;
  agentExtension: (agentId: string) => Promise<string | null>;
  recorder: MysqlCallRecorder;
  db: DataSource;
  log: Logger;
  nonces?: NonceIssuer;
}

/**
 * A visitor joining an agent's invitation is called through to that agent's registered softphone,
 * not to the PBX: CallControl only routes call tokens to the trunk, so this step runs before it
 * (the engine's middleware is ordered) and takes INVITEs for `sip:invite@…` itself, with the same
 * flood limit and digest check. The call carries X-Switchboard-Interaction and X-Switchboard-Invite
 * so the desktop knows the agent asked for it and answers by itself.
 */
export function inviteCalls(d: InviteCallDeps): Middleware {
  const flood = floodLimit();
  const auth = digestAuth({ realm: d.realm, authenticator: d.authenticator, trustedAddresses: d.trustedAddresses, ...(d.nonces ? { nonces: d.nonces } : {}) });
  return (req, res, next) => {
    if (parseUri(req.uri)?.user !== INVITE_TARGET_USER) return next();
    flood(req, res, () => {
      void auth(req, res, () => {
        route().catch((err: unknown) => {
          d.log.error({ err }, 'invite call failed');
          if (!res.finalSent) res.send(500);
        });
      });
    });

    async function route(): Promise<void> {
      const identity = req.locals.auth;
      const invites = d.invites();
      const control = d.control();
      if (identity?.kind !== 'call-token' || !invites || !control) return void res.send(404, 'No Route For This Call');
      const inviteId = await d.credentials.inviteOf(identity.username);
      const invite = inviteId ? await invites.get(inviteId) : null;
      if (!invite || invite.interactionId !== identity.interactionId || invite.state !== 'accepted') return void res.send(404, 'No Route For This Call');
      const extension = await d.agentExtension(invite.agentId);
      const binding = extension ? control.registrar.lookup(extension) : undefined;
      if (!extension || !binding) {
        await invites.fail(invite, "The agent's phone is not connected, so the call could not be placed.");
        return void res.send(480, 'Agent Phone Not Connected', { headers: { 'x-end-cause': 'unavailable' } });
      }
      const chat = await d.db.getRepository(Interaction).findOneBy({ id: invite.interactionId });
      const contact = chat?.contactId ? await d.db.getRepository(Contact).findOneBy({ id: chat.contactId }) : null;
      // The token lives a while after the call; replaying it must not ring the agent again.
      if (!(await invites.claimCall(invite.inviteId, req.callId))) return void res.send(403, 'Invitation Already Used');
      const session = control.newSession(invite.interactionId, { kind: 'widget' });
      d.recorder.expect(session.id, { video: invite.video });
      await session.bridge(req, res, 'webrtc', {
        uri: binding.contact,
        target: binding.flow,
        profile: 'webrtc',
        from: `sip:visitor@${d.domain}`,
        ...(contact?.name ? { fromName: contact.name } : {}),
        to: `sip:${extension}@${d.domain}`,
        headers: {
          ...control.contextHeaders({
            interactionId: invite.interactionId,
            ...(chat?.websiteId ? { website: chat.websiteId } : {}),
            ...(contact?.name ? { name: contact.name } : {}),
            ...(contact?.email ? { email: contact.email } : {}),
          }),
          'x-switchboard-interaction': invite.interactionId,
          'x-switchboard-invite': invite.inviteId,
        },
      });
    }
  };
}
