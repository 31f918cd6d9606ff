// The only module that imports sip.js: a chunk of its own, loaded when a call starts.
import { Inviter, SessionState, UserAgent, Web, type Session } from 'sip.js';
import type { CallHandle, CallTicket } from './call-types';

/** Places a call with sip.js over the ticket's WebSocket, using the stream the visitor tested. */
export async function placeCall(ticket: CallTicket, stream: MediaStream, events: { state(s: 'ringing' | 'connected' | 'ended', reason?: string): void; remote(s: MediaStream): void }): Promise<CallHandle> {
  const ua = new UserAgent({
    uri: UserAgent.makeURI(ticket.uri),
    transportOptions: { server: ticket.wsUrl },
    authorizationUsername: ticket.username,
    authorizationPassword: ticket.password,
    displayName: ticket.displayName,
    logBuiltinEnabled: false,
    sessionDescriptionHandlerFactory: Web.defaultSessionDescriptionHandlerFactory(() => Promise.resolve(stream)),
  });
  await ua.start();
  const target = UserAgent.makeURI(ticket.target);
  if (!target) throw new Error('bad target');
  const inviter = new Inviter(ua, target, { extraHeaders: ticket.headers ?? [], sessionDescriptionHandlerOptions: { constraints: { audio: true, video: stream.getVideoTracks().length > 0 } } });
  const sdh = (s: Session) => s.sessionDescriptionHandler as Web.SessionDescriptionHandler | undefined;
  // sip.js ends the session before it hands the refusing response to onReject: wait a turn so
  // the end carries the reason.
  let refused: string | undefined;
  // The hang-up and the session's end both stop the agent; sip.js rejects a second stop.
  let stopping: Promise<void> | undefined;
  const stopUa = () => void (stopping ??= ua.stop().catch(() => undefined));
  inviter.stateChange.addListener((st) => {
    if (st === SessionState.Established) {
      events.state('connected');
      const remote = sdh(inviter)?.remoteMediaStream;
      if (remote) events.remote(remote);
    } else if (st === SessionState.Terminated) {
      setTimeout(() => events.state('ended', refused), 0);
      stopUa();
    }
  });
  await inviter.invite({
    requestDelegate: {
      onProgress: () => events.state('ringing'),
      onReject: (r) => void (refused = `${r.message.statusCode} ${r.message.reasonPhrase}`),
    },
  });
  return {
    mute: (on) => sdh(inviter)?.enableSenderTracks(!on),
    camera: (on) => stream.getVideoTracks().forEach((tr) => (tr.enabled = on)),
    dtmf: (tone) => void sdh(inviter)?.sendDtmf(tone),
    hangup: () => {
      if (inviter.state === SessionState.Established) void inviter.bye();
      else if (inviter.state === SessionState.Establishing || inviter.state === SessionState.Initial) void inviter.cancel();
      stopUa();
    },
  };
}
