// A browser-like SIP client in Node: sip.js over a real WebSocket, with a session description
// handler that hands out a WebRTC-shaped SDP (DTLS fingerprint, ICE, rtcp-mux) instead of
// running a media stack. It proves signalling and what rtpengine made of the SDP; the Chromium
// test proves media.
import { Inviter, Registerer, SessionState, UserAgent, type Invitation, type Session } from 'sip.js';

export function webrtcSdp(sessionVersion = 2, video = false, opusOnly = false): string {
  const fp = Array.from({ length: 32 }, (_, i) => (i * 7 + 16).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return [
    'v=0', `o=- 4611731400430051336 ${sessionVersion} IN IP4 127.0.0.1`, 's=-', 't=0 0', 'a=group:BUNDLE 0', 'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 101', 'c=IN IP4 127.0.0.1', 'a=rtcp:9 IN IP4 0.0.0.0',
    'a=ice-ufrag:Xk4f', 'a=ice-pwd:7lHnJmE2yK0a1NwzQeRt8vUu', 'a=ice-options:trickle',
    `a=fingerprint:sha-256 ${fp}`, 'a=setup:actpass', 'a=mid:0', 'a=sendrecv', 'a=rtcp-mux',
    'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000',
    'a=candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
    ...(video
      ? ['m=video 9 UDP/TLS/RTP/SAVPF 96', 'c=IN IP4 127.0.0.1', 'a=rtcp:9 IN IP4 0.0.0.0', 'a=ice-ufrag:Xk4f', 'a=ice-pwd:7lHnJmE2yK0a1NwzQeRt8vUu',
        `a=fingerprint:sha-256 ${fp}`, 'a=setup:actpass', 'a=mid:1', 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:96 VP8/90000',
        'a=candidate:1 1 udp 2122260223 127.0.0.1 50002 typ host']
      : []),
    '',
  ]
    .filter((l) => !opusOnly || !/^a=rtpmap:(0|8|101) /.test(l))
    .map((l) => (opusOnly && l.startsWith('m=audio') ? 'm=audio 9 UDP/TLS/RTP/SAVPF 111' : l))
    .join('\r\n')
    .replace('a=group:BUNDLE 0', video ? 'a=group:BUNDLE 0 1' : 'a=group:BUNDLE 0');
}

class FakeSdh {
  remote?: string;
  private version = 2;
  constructor(
    private readonly seen: string[],
    private readonly video: boolean,
    private readonly opusOnly: boolean,
  ) {}
  close(): void {}
  async getDescription(options?: { hold?: boolean }): Promise<{ body: string; contentType: string }> {
    const sdp = webrtcSdp(this.version++, this.video, this.opusOnly);
    return { body: options?.hold ? sdp.replace('a=sendrecv', 'a=sendonly') : sdp, contentType: 'application/sdp' };
  }
  hasDescription(contentType: string): boolean {
    return contentType === 'application/sdp';
  }
  async setDescription(sdp: string): Promise<void> {
    this.remote = sdp;
    this.seen.push(sdp);
  }
  sendDtmf(): boolean {
    return false;
  }
}

export interface Softphone {
  ua: UserAgent;
  /** Every SDP the phone received (answers and re-INVITE offers). */
  remoteSdps: string[];
  /** Invitations received; auto-accepted when `autoAnswer`. */
  incoming: Invitation[];
  register(): Promise<number>;
  call(target: string): Promise<Session>;
  stop(): Promise<void>;
}

export async function softphone(opts: { wsPort: number; username: string; password: string; user: string; autoAnswer?: boolean; video?: boolean; opusOnly?: boolean }): Promise<Softphone> {
  const remoteSdps: string[] = [];
  const incoming: Invitation[] = [];
  const uri = UserAgent.makeURI(`sip:${opts.user}@switchboard.test`);
  if (!uri) throw new Error('bad uri');
  const ua = new UserAgent({
    uri,
    authorizationUsername: opts.username,
    authorizationPassword: opts.password,
    transportOptions: { server: `ws://127.0.0.1:${opts.wsPort}` },
    logBuiltinEnabled: false,
    sessionDescriptionHandlerFactory: (() => new FakeSdh(remoteSdps, opts.video ?? false, opts.opusOnly ?? false)) as never,
    delegate: {
      onInvite(invitation) {
        incoming.push(invitation);
        if (opts.autoAnswer) void invitation.accept();
      },
    },
  });
  await ua.start();
  const registerer = new Registerer(ua, { expires: 300 });
  return {
    ua, remoteSdps, incoming,
    register: () =>
      new Promise<number>((resolve) => {
        void registerer.register({
          requestDelegate: {
            onAccept: (r) => resolve(r.message.statusCode ?? 0),
            onReject: (r) => resolve(r.message.statusCode ?? 0),
          },
        });
      }),
    async call(target) {
      const t = UserAgent.makeURI(target);
      if (!t) throw new Error('bad target');
      const inviter = new Inviter(ua, t);
      await inviter.invite();
      return inviter;
    },
    async stop() {
      await ua.stop();
    },
  };
}

export function waitForState(session: Session, state: SessionState, timeoutMs = 8000): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`session never reached ${state} (now ${session.state})`)), timeoutMs);
    session.stateChange.addListener((s) => {
      if (s === state) {
        clearTimeout(t);
        resolve();
      }
      if (s === SessionState.Terminated && state !== SessionState.Terminated) {
        clearTimeout(t);
        reject(new Error('session terminated'));
      }
    });
  });
}

type Delegate = { onAccept(): void; onReject(r: { message: { statusCode?: number } }): void };

/** The final status of an in-dialog request a sip.js session sends (re-INVITE, INFO, REFER). */
export function requestStatus(send: (delegate: Delegate) => Promise<unknown>): Promise<number> {
  return new Promise((resolve, reject) => {
    send({ onAccept: () => resolve(200), onReject: (r) => resolve(r.message.statusCode ?? 0) }).catch(reject);
  });
}
