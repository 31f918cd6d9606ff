import { Injectable, computed, inject, signal } from '@angular/core';
import type { RTCSession } from 'jssip/lib/RTCSession';
import type { RTCSessionEvent, UA } from 'jssip/lib/UA';
import type { DTMF_TRANSPORT } from 'jssip/lib/Constants';
import type { SipCredentials } from '@switchboard/protocol';
import { Api, ApiError } from './api';
import { callContext, type CallContext } from './call-context';
import { offersVideo } from './sdp';

export type { SipCredentials } from '@switchboard/protocol';

export type Registration = 'off' | 'connecting' | 'registered' | 'failed' | 'unavailable';
export type CallState = 'ringing' | 'dialing' | 'connected' | 'ended';

export interface PhoneCall {
  id: string;
  direction: 'incoming' | 'outgoing';
  state: CallState;
  /** The other party's number (user part of their URI) and display name. */
  number: string;
  displayName: string | null;
  context: CallContext;
  held: boolean;
  /** The hold or resume the agent asked for is still being agreed with the other side (re-INVITE open). */
  holdBusy?: boolean;
  muted: boolean;
  startedAt: number;
  answeredAt: number | null;
  /** Why it ended (JsSIP's cause), shown until the agent dismisses the call. */
  endCause: string | null;
  transferredTo: string | null;
  /** The chat invitation this call answers (X-Switchboard-Invite), when the visitor joined one. */
  inviteId: string | null;
  /** Answered with the camera on. */
  video: boolean;
  /** The caller's offer has video (a video call through the PBX, or a chat's video invitation). */
  offersVideo: boolean;
}

/** Keypad tones; anything else is refused before it reaches the SIP stack. */
export const DTMF_KEYS = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '*', '0', '#'] as const;
const DIALABLE = /^\+?[0-9*#]{1,32}$/;
/** The end cause of a ringing call whose connection to the server closed; the screen words it. */
export const LOST_WITH_CONNECTION = 'lost-with-connection';
/** How soon a hold or resume JsSIP could not send yet is tried again. */
const HOLD_RETRY_MS = 250;

/**
 * The agent's softphone: JsSIP registered through Switchboard's SIP engine as the agent's
 * extension. JsSIP is loaded when the desktop opens, not with the login page, so it stays out
 * of the initial bundle. Calls are kept as plain records in a signal; the JsSIP sessions they
 * belong to stay in here.
 */
@Injectable({ providedIn: 'root' })
export class Softphone {
  private readonly api = inject(Api);
  private ua: UA | null = null;
  private creds: SipCredentials | null = null;
  private readonly sessions = new Map<string, RTCSession>();
  private readonly audio = new Map<string, HTMLAudioElement>();
  /** Microphone and camera opened here for an answer; JsSIP leaves a stream it was given running, so the call's end stops it. */
  private readonly opened = new Map<string, MediaStream>();
  private readonly answering = new Set<string>();
  /** Hold as the agent last asked, per call, until the dialog has it; and the pending look again. */
  private readonly holdWanted = new Map<string, boolean>();
  private readonly holdRetry = new Map<string, ReturnType<typeof setTimeout>>();
  /** Calls whose hold or resume re-INVITE is on its way, unanswered. */
  private readonly holdOpen = new Set<string>();
  private generation = 0;

  readonly registration = signal<Registration>('off');
  readonly error = signal<string | null>(null);
  readonly extension = signal<string | null>(null);
  private readonly callMap = signal<ReadonlyMap<string, PhoneCall>>(new Map());
  readonly calls = computed(() => [...this.callMap().values()].sort((a, b) => a.startedAt - b.startedAt));
  readonly active = computed(() => this.calls().filter((c) => c.state !== 'ended'));
  /** Remote and local media per call, for the video view of a call answered with the camera. */
  readonly media = signal<ReadonlyMap<string, { remote: MediaStream | null; local: MediaStream | null }>>(new Map());

  call(id: string): PhoneCall | undefined {
    return this.callMap().get(id);
  }

  async start(): Promise<void> {
    if (this.ua) return;
    const gen = ++this.generation;
    this.registration.set('connecting');
    this.error.set(null);
    let creds: SipCredentials;
    try {
      creds = await this.api.get<SipCredentials>('/api/sip/credentials');
    } catch (err) {
      if (gen !== this.generation) return;
      this.registration.set('unavailable');
      this.error.set(err instanceof ApiError ? err.message : String(err));
      return;
    }
    if (gen !== this.generation) return;
    if (!creds.extension) {
      this.registration.set('unavailable');
      this.error.set(null);
      return;
    }
    // JsSIP is CommonJS: its exports arrive as the default export of the lazy chunk.
    const mod = (await import('jssip')) as typeof import('jssip') & { default?: typeof import('jssip') };
    const JsSIP = mod.default ?? mod;
    if (gen !== this.generation) return;
    this.creds = creds;
    this.extension.set(creds.extension);
    const socket = new JsSIP.WebSocketInterface(creds.wsUrl);
    const ua = new JsSIP.UA({
      sockets: [socket],
      uri: creds.uri,
      authorization_user: creds.username,
      password: creds.password,
      register: true,
      session_timers: false,
      user_agent: 'Switchboard desktop',
    });
    this.ua = ua;
    ua.on('registered', () => {
      this.registration.set('registered');
      this.error.set(null);
    });
    ua.on('unregistered', () => this.ua === ua && this.registration.set('connecting'));
    ua.on('disconnected', () => {
      if (this.ua !== ua) return;
      this.registration.set('connecting');
      this.dropRinging();
    });
    ua.on('registrationFailed', (e) => {
      this.registration.set('failed');
      this.error.set(String(e.response?.reason_phrase || e.cause || 'registration failed'));
    });
    ua.on('newRTCSession', (e: RTCSessionEvent) => this.track(e.session, e.originator === 'remote' ? 'incoming' : 'outgoing', e.request));
    ua.start();
  }

  stop(): void {
    this.generation++;
    for (const s of this.sessions.values()) {
      try {
        s.terminate();
      } catch {
        /* already ended */
      }
    }
    this.ua?.stop();
    this.ua = null;
    this.registration.set('off');
  }

  /**
   * Ends every incoming call still ringing: its INVITE came over the connection that just closed,
   * and a 200 can go back only over that connection (RFC 7118 §5: a new connection is a new flow),
   * so nobody could ever answer it, while JsSIP would leave it ringing until its own timers.
   * JsSIP has already dropped the INVITE's server transaction, so the reject terminate() makes is
   * not sent: the call ends here only. Calls answered already are left to their media and dialog.
   */
  private dropRinging(): void {
    for (const [id, s] of this.sessions) {
      const c = this.call(id);
      if (c?.direction !== 'incoming' || c.state !== 'ringing' || s.isEstablished() || s.isEnded()) continue;
      console.warn(`softphone: incoming call ${id} from ${c.number || 'unknown'} lost with the connection to the server while ringing`);
      this.patch(id, { endCause: LOST_WITH_CONNECTION });
      try {
        s.terminate();
      } catch {
        /* already ended */
      }
    }
  }

  /** Calls a number through the PBX. */
  dial(number: string): void {
    const n = number.replace(/[\s().-]/g, '');
    if (!this.ua || !this.creds || !DIALABLE.test(n)) throw new Error('not dialable');
    this.ua.call(`sip:${n}@${this.creds.domain}`, { mediaConstraints: { audio: true, video: false }, pcConfig: { iceServers: [] } });
  }

  /**
   * Answers a ringing call; with the camera when `video` says so, by default when the caller
   * offers video. A missing or refused camera does not lose the call: it is answered with sound only.
   */
  async answer(id: string, video?: boolean): Promise<void> {
    const s = this.sessions.get(id);
    const c = this.call(id);
    if (!s || c?.state !== 'ringing' || this.answering.has(id)) return;
    this.answering.add(id);
    try {
      const stream = (video ?? c.offersVideo) ? await navigator.mediaDevices?.getUserMedia({ audio: true, video: true }).catch(() => undefined) : undefined;
      if (s.isEnded() || !this.sessions.has(id)) {
        for (const t of stream?.getTracks() ?? []) t.stop();
        return;
      }
      const camera = stream?.getVideoTracks() ?? [];
      if (stream) this.opened.set(id, stream);
      this.patch(id, { video: camera.length > 0 });
      if (camera.length) this.setMedia(id, { local: new MediaStream(camera) });
      s.answer({ ...(stream ? { mediaStream: stream } : { mediaConstraints: { audio: true, video: false } }), pcConfig: { iceServers: [] } });
    } catch {
      // The caller gave up while the camera opened: JsSIP's `failed` ends the call on screen.
    } finally {
      this.answering.delete(id);
    }
  }

  private setMedia(id: string, change: { remote?: MediaStream | null; local?: MediaStream | null }): void {
    this.media.update((m) => new Map(m).set(id, { remote: null, local: null, ...m.get(id), ...change }));
  }

  hangUp(id: string): void {
    const s = this.sessions.get(id);
    if (!s || s.isEnded()) return;
    s.terminate();
  }

  /** Takes an ended call off the screen. */
  dismiss(id: string): void {
    if (this.call(id)?.state !== 'ended') return;
    this.callMap.update((m) => {
      const next = new Map(m);
      next.delete(id);
      return next;
    });
  }

  /**
   * Holds or resumes as the agent last asked. The button follows the agent at once; the re-INVITE
   * follows when the dialog can take one: JsSIP refuses a second offer while the previous one is
   * unanswered (RFC 3261 §14.1) or the peer's own re-INVITE is open, and a resume clicked during
   * the hold's round trip through the PBX would otherwise be lost with the call left on hold.
   */
  toggleHold(id: string): void {
    const c = this.call(id);
    if (!this.sessions.has(id) || c?.state !== 'connected') return;
    this.holdWanted.set(id, !c.held);
    this.patch(id, { held: !c.held, holdBusy: true });
    this.applyHold(id);
  }

  private applyHold(id: string): void {
    clearTimeout(this.holdRetry.get(id));
    this.holdRetry.delete(id);
    const s = this.sessions.get(id);
    const want = this.holdWanted.get(id);
    if (!s || s.isEnded()) return;
    if (want === undefined || s.isOnHold().local === want) {
      if (!this.holdOpen.has(id)) this.patch(id, { holdBusy: false });
      return;
    }
    // `done` runs on the 2xx: by then the agent may have clicked again.
    const done = () => {
      this.holdOpen.delete(id);
      this.applyHold(id);
    };
    const sent = want ? s.hold({}, done) : s.unhold({}, done);
    if (sent) this.holdOpen.add(id);
    // Not sent: an offer is still open. Its completion fires no event when it came from the
    // peer, so look again shortly.
    else this.holdRetry.set(id, setTimeout(() => this.applyHold(id), HOLD_RETRY_MS));
  }

  toggleMute(id: string): void {
    const s = this.sessions.get(id);
    if (!s || this.call(id)?.state !== 'connected') return;
    if (s.isMuted().audio) s.unmute({ audio: true });
    else s.mute({ audio: true });
  }

  dtmf(id: string, key: string): void {
    const s = this.sessions.get(id);
    if (!s || this.call(id)?.state !== 'connected' || !(DTMF_KEYS as readonly string[]).includes(key)) return;
    // SIP INFO (application/dtmf-relay): the SIP engine relays it to the PBX as it is, whatever
    // the media path does with telephone-events.
    s.sendDTMF(key, { transportType: 'INFO' as DTMF_TRANSPORT, duration: 160, interToneGap: 70 });
  }

  /** Blind transfer: REFER the other party to a number or extension; our side then ends. */
  transfer(id: string, target: string): void {
    const s = this.sessions.get(id);
    const n = target.replace(/[\s().-]/g, '');
    if (!s || !this.creds || this.call(id)?.state !== 'connected' || !DIALABLE.test(n)) throw new Error('not transferable');
    s.refer(`sip:${n}@${this.creds.domain}`, {
      eventHandlers: {
        // 202: the other side took the transfer; its NOTIFY says the new call is up.
        requestSucceeded: () => this.patch(id, { transferredTo: n }),
        // NOTIFY 200: the customer is with the new party. Most PBXes hang up on us now; one
        // that does not gets our BYE a moment later, so the agent is never left on a dead call.
        accepted: () =>
          setTimeout(() => {
            if (!s.isEnded()) s.terminate();
          }, 3000),
        requestFailed: () => this.patch(id, { transferredTo: null }),
        failed: () => this.patch(id, { transferredTo: null }),
      },
    });
  }

  private track(s: RTCSession, direction: 'incoming' | 'outgoing', request: object): void {
    const id = s.id;
    const remote = s.remote_identity;
    const headers: [string, string][] = [];
    let inviteId: string | null = null;
    if (direction === 'incoming') {
      for (const [name, values] of Object.entries((request as { headers?: Record<string, { raw: string }[]> }).headers ?? {})) for (const v of values) headers.push([name, v.raw]);
      inviteId = headers.find(([name]) => name.toLowerCase() === 'x-switchboard-invite')?.[1].trim() || null;
    }
    this.sessions.set(id, s);
    this.put({
      id, direction, state: direction === 'incoming' ? 'ringing' : 'dialing',
      number: remote.uri.user ?? '', displayName: remote.display_name || null, context: callContext(headers),
      held: false, muted: false, startedAt: Date.now(), answeredAt: null, endCause: null, transferredTo: null, inviteId, video: false,
      offersVideo: direction === 'incoming' && offersVideo((request as { body?: unknown }).body),
    });
    const listen = (pc: RTCPeerConnection) =>
      pc.addEventListener('track', (ev) => {
        if (!this.sessions.has(id)) return; // a late track after the call ended
        let el = this.audio.get(id);
        if (!el) {
          // In the document (hidden), so that it plays whichever interaction is on screen.
          el = document.createElement('audio');
          el.autoplay = true;
          el.className = 'sb-remote-audio';
          el.hidden = true;
          el.dataset['call'] = id;
          document.body.append(el);
          this.audio.set(id, el);
        }
        const stream = ev.streams[0] ?? new MediaStream([ev.track]);
        el.srcObject = stream;
        void el.play().catch(() => undefined);
        if (ev.track.kind === 'video') this.setMedia(id, { remote: stream });
      });
    if (s.connection) listen(s.connection as unknown as RTCPeerConnection);
    else s.on('peerconnection', (e) => listen(e.peerconnection as unknown as RTCPeerConnection));
    s.on('confirmed', () => this.patch(id, { state: 'connected', answeredAt: Date.now() }));
    s.on('muted', () => this.patch(id, { muted: true }));
    s.on('unmuted', () => this.patch(id, { muted: false }));
    const end = (cause: string) => {
      this.sessions.delete(id);
      clearTimeout(this.holdRetry.get(id));
      this.holdRetry.delete(id);
      this.holdWanted.delete(id);
      this.holdOpen.delete(id);
      const el = this.audio.get(id);
      if (el) {
        el.srcObject = null;
        el.remove();
      }
      this.audio.delete(id);
      for (const t of this.media().get(id)?.local?.getTracks() ?? []) t.stop();
      for (const t of this.opened.get(id)?.getTracks() ?? []) t.stop();
      this.opened.delete(id);
      this.media.update((m) => {
        const n = new Map(m);
        n.delete(id);
        return n;
      });
      const c = this.call(id);
      this.patch(id, { state: 'ended', endCause: c?.endCause ?? cause });
    };
    s.on('ended', (e) => end(String(e.cause)));
    s.on('failed', (e) => end(String(e.cause)));
  }

  private put(c: PhoneCall): void {
    this.callMap.update((m) => new Map(m).set(c.id, c));
  }

  private patch(id: string, change: Partial<PhoneCall>): void {
    const c = this.call(id);
    if (c) this.put({ ...c, ...change });
  }
}
