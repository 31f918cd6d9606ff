// Call and video call: devices (defaults picked), a ~10 s test (microphone level, camera
// preview, reachability of the server and of the media server), the pre-call form, then the call.
// sip.js is in its own chunk (sip-call.ts), fetched only when the visitor presses "Call now".
import { h } from './dom';
import { t } from './i18n';
import type { CallProbeAnswer, StartedCall } from '@switchboard/protocol';
import { ApiError, call, widgetSocketUrl, type Field } from './api';
import { renderForm } from './form';
import { clip } from './text';
import type { App } from './app';
import type { CallHandle, CallTicket } from './call-types';

type CallAnswer = StartedCall;

/** The pre-call form's answers as the call endpoint takes them: contact details apart, the rest as text. */
function callBody(video: boolean, fields: readonly Field[], answers: Record<string, unknown>) {
  const body: { video: boolean; name?: string; email?: string; phone?: string; fields: Record<string, string> } = { video, fields: {} };
  for (const f of fields) {
    if (f.type === 'label' || answers[f.name] === undefined) continue;
    const v = answers[f.name];
    const text = Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v ? (v as { fileName: string }).fileName : String(v);
    const target = JSON.stringify(f.mapsTo ?? '');
    const contact = (['name', 'email', 'phone'] as const).find((k) => target.includes(`"${k}"`) || f.name === k);
    if (contact) body[contact] = text;
    else body.fields[f.name] = clip(text, 500);
  }
  return body;
}

const TEST_MS = 10_000;

export function callView(app: App, video: boolean): void {
  void new CallFlow(app, video).devices();
}

/** What the widget keeps of an agent's invitation (protocol CallInvitePayload). */
export interface InviteToJoin {
  inviteId: string;
  interactionId: string;
  video: boolean;
}

/**
 * Joins the call an agent offered in the chat: the devices the browser picks by default (the
 * visitor is already talking to the agent, who asked for the call), no test and no form; then the
 * same call path as any widget call, with the chat's token proving whose invitation it is. When
 * the call is over, `back` takes the visitor to the conversation (with why, if it failed).
 */
export function joinInvite(app: App, invite: InviteToJoin, token: string, back: (failure?: string) => void): void {
  const flow = new CallFlow(app, invite.video, back);
  void flow.join(() => call<CallAnswer>('POST', '/calls', { interactionId: invite.interactionId, inviteId: invite.inviteId, video: invite.video }, token));
}

class CallFlow {
  private stream: MediaStream | null = null;
  private mic = '';
  private cam = '';
  private speaker = '';

  constructor(
    private readonly app: App,
    private readonly video: boolean,
    /** Set for a call the agent offered in a chat: where the visitor goes when it is over. */
    private readonly back?: (failure?: string) => void,
  ) {}

  private stop(): void {
    this.stream?.getTracks().forEach((tr) => tr.stop());
    this.stream = null;
  }

  private async open(): Promise<MediaStream> {
    this.stop();
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: this.mic ? { deviceId: { exact: this.mic } } : true,
      video: this.video ? (this.cam ? { deviceId: { exact: this.cam } } : true) : false,
    });
    return this.stream;
  }

  async devices(): Promise<void> {
    const app = this.app;
    try {
      await this.open();
    } catch {
      app.shell.view(app.backButton(), h('section', { class: 'sb-panel' }, h('h2', { tabindex: '-1' }, t(this.video ? 'video' : 'call')), h('p', { class: 'sb-warn' }, t('noDevices')), h('button', { type: 'button', class: 'sb-primary', onclick: () => void this.devices() }, t('retry'))));
      return;
    }
    const list = await navigator.mediaDevices.enumerateDevices();
    const pick = (kind: MediaDeviceKind, label: 'microphone' | 'camera' | 'speaker', current: string, set: (id: string) => void) => {
      const devs = list.filter((d) => d.kind === kind);
      if (!devs.length) return null;
      const id = `sb-dev-${kind}`;
      const sel = h('select', { id, onchange: (e: Event) => set((e.target as HTMLSelectElement).value) }, ...devs.map((d, n) => h('option', { value: d.deviceId, selected: d.deviceId === current || (!current && n === 0) }, d.label || `${t(label)} ${n + 1}`)));
      return h('div', { class: 'sb-field' }, h('label', { for: id }, t(label)), sel);
    };
    const button = h('button', { type: 'button', class: 'sb-primary sb-test', onclick: () => void this.test() }, t('testDevices'));
    app.shell.view(
      app.backButton(),
      h(
        'section',
        { class: 'sb-panel' },
        h('h2', { tabindex: '-1' }, t('devices')),
        pick('audioinput', 'microphone', this.mic, (v) => (this.mic = v)),
        this.video ? pick('videoinput', 'camera', this.cam, (v) => (this.cam = v)) : null,
        pick('audiooutput', 'speaker', this.speaker, (v) => (this.speaker = v)),
        button,
      ),
    );
  }

  private async test(): Promise<void> {
    const app = this.app;
    const stream = await this.open().catch(() => null);
    if (!stream) return void this.devices();
    const meter = h('meter', { min: 0, max: 100, value: 0, 'aria-label': t('micLevel'), class: 'sb-meter' });
    const preview = this.video ? h('video', { class: 'sb-preview', autoplay: true, muted: true, playsinline: true, 'aria-label': t('camera') }) : null;
    if (preview) preview.srcObject = stream;
    const results = h('ul', { class: 'sb-results', 'aria-live': 'polite' });
    const progress = h('progress', { max: TEST_MS, value: 0, 'aria-label': t('testing') });
    app.shell.view(h('section', { class: 'sb-panel sb-call-test' }, h('h2', { tabindex: '-1' }, t('testing')), progress, h('label', {}, t('micLevel')), meter, preview, results));

    const ctx = new AudioContext();
    const analyser = ctx.createAnalyser();
    ctx.createMediaStreamSource(stream).connect(analyser);
    const buf = new Uint8Array(analyser.fftSize);
    let peak = 0;
    const started = performance.now();
    const [net, media] = await Promise.all([
      socketRoundTrip(),
      mediaProbe(stream),
      new Promise<void>((resolve) => {
        const tick = () => {
          analyser.getByteTimeDomainData(buf);
          const level = Math.min(100, Math.max(...buf.map((v) => Math.abs(v - 128))) * 1.6);
          peak = Math.max(peak, level);
          meter.value = level;
          progress.value = performance.now() - started;
          if (performance.now() - started < TEST_MS) requestAnimationFrame(tick);
          else resolve();
        };
        tick();
      }),
    ]);
    void ctx.close();
    const camOk = preview ? preview.videoWidth > 0 : true;
    const row = (ok: boolean, good: Parameters<typeof t>[0], bad: Parameters<typeof t>[0]) => h('li', { class: ok ? 'sb-ok' : 'sb-bad' }, ok ? '\u2713 ' : '\u2715 ', t(ok ? good : bad));
    results.append(row(peak > 2, 'micOk', 'micSilent'), this.video ? row(camOk, 'camOk', 'camFail') : '', row(net, 'netOk', 'netFail'), row(media === 'ok', 'mediaOk', media === 'unavailable' ? 'callUnavailable' : 'mediaFail'));
    const form: Field[] = this.video ? app.config.forms.video : app.config.forms.call;
    results.after(h('div', { class: 'sb-row' }, h('button', { type: 'button', class: 'sb-secondary', onclick: () => void this.devices() }, t('back')), h('button', { type: 'button', class: 'sb-primary sb-continue', disabled: !net || null, onclick: () => this.precall(form) }, t('continue'))));
  }

  private fields: Field[] = [];

  async join(request: () => Promise<CallAnswer>): Promise<void> {
    try {
      await this.open();
    } catch {
      // Not the device chooser: that path ends in a queue call, and this call is the agent's.
      const app = this.app;
      app.shell.view(h('section', { class: 'sb-panel' }, h('h2', { tabindex: '-1' }, t(this.video ? 'video' : 'call')), h('p', { class: 'sb-warn' }, t('noDevices')), h('div', { class: 'sb-row' }, h('button', { type: 'button', class: 'sb-primary', onclick: () => void this.join(request) }, t('retry')), h('button', { type: 'button', class: 'sb-secondary', onclick: () => app.home() }, t('back')))));
      return;
    }
    await this.place(request, true);
  }

  private precall(fields: Field[]): void {
    this.fields = fields;
    const app = this.app;
    const form = renderForm(fields, { name: app.contact.name, email: app.contact.email, phone: app.contact.phone });
    const go = (answers: Record<string, unknown> | null) => void this.place(() => call<CallAnswer>('POST', '/calls', callBody(this.video, this.fields, answers ?? {})));
    const el = h('form', { class: 'sb-panel', novalidate: true }, h('h2', { tabindex: '-1' }, t(this.video ? 'video' : 'call')), fields.length ? form.el : null, h('button', { type: 'submit', class: 'sb-primary sb-call-now' }, t('startCall')), fields.length && !fields.some((f) => f.type !== 'label' && f.required) ? h('button', { type: 'button', class: 'sb-secondary', onclick: () => go({}) }, t('anonymous')) : null);
    el.addEventListener('submit', (e) => {
      e.preventDefault();
      const answers = fields.length ? form.collect() : {};
      if (answers) go(answers);
    });
    app.shell.view(el);
  }

  /** `invited`: the agent asked for this call, so its refusals say what the server said. */
  private async place(request: () => Promise<CallAnswer>, invited = false): Promise<void> {
    const app = this.app;
    const status = h('p', { class: 'sb-call-state', 'aria-live': 'assertive' }, t('connecting'));
    // Audio calls play the agent through a hidden <audio>; video calls through the visible <video>.
    const remote = this.video ? h('video', { class: 'sb-remote', autoplay: true, playsinline: true, 'aria-label': t('agent') }) : h('audio', { class: 'sb-remote-audio', autoplay: true });
    // The visitor sees what the agent will see; the stream is already open, so this costs nothing.
    const self = this.video && this.stream ? h('video', { class: 'sb-self', autoplay: true, muted: true, playsinline: true, 'aria-label': t('yourCamera') }) : null;
    if (self) self.srcObject = this.stream;
    let handle: CallHandle | null = null;
    let muted = false;
    let camOn = true;
    const muteB = h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => { muted = !muted; handle?.mute(muted); muteB.setAttribute('aria-pressed', String(muted)); muteB.textContent = t(muted ? 'unmute' : 'mute'); } }, t('mute'));
    const camB = this.video ? h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => { camOn = !camOn; handle?.camera(camOn); camB!.setAttribute('aria-pressed', String(!camOn)); camB!.textContent = t(camOn ? 'cameraOff' : 'cameraOn'); } }, t('cameraOff')) : null;
    const keypad = h('div', { class: 'sb-keypad', role: 'group', 'aria-label': t('keypad') }, ...'123456789*0#'.split('').map((k) => h('button', { type: 'button', onclick: () => handle?.dtmf(k) }, k)));
    const hang = h('button', { type: 'button', class: 'sb-hangup', onclick: () => { handle?.hangup(); finish(); } }, t('hangup'));
    // Keep my place: a queue call's token lets the visitor switch the wait to a callback.
    let waiting: { interactionId: string; token: string } | null = null;
    let interactionId: string | null = null;
    let switching = false;
    let endedWhileSwitching: { reason?: string } | null = null;
    // The page hears of the end once the call has taken it in and a switch to a callback under way
    // has its answer (the server hangs up a switched call before it answers).
    let sessionEnded = false;
    let keptPlace = false;
    let told = false;
    const tell = () => {
      if (told || !sessionEnded || switching) return;
      told = true;
      app.host.emit('call.ended', { interactionId, keptPlace });
    };
    const offer = h('button', { type: 'button', class: 'sb-secondary sb-keep-place-offer', hidden: true, onclick: () => waiting && void import('./keep-place').then((k) => k.keepPlaceUnderCall(app, waiting!, offer, {
      left: () => {
        over = true;
        keptPlace = true;
        switching = false;
        handle?.hangup();
        this.stop();
        tell();
      },
      sending: (on, err) => {
        switching = on;
        if (!on && endedWhileSwitching) finish(endedWhileSwitching.reason);
        if (!on) tell();
        // An agent has the call now (or it is over): the offer goes, the strip says why.
        if (err instanceof ApiError && err.code === 'not_waiting') {
          waiting = null;
          if (offer.nextElementSibling?.classList.contains('sb-keep-place-call')) offer.nextElementSibling.remove();
        }
      },
    })) }, t('keepPlace'));
    let over = false;
    const finish = (reason?: string) => {
      // Our side ends the call once the callback has its place: the confirmation, not "ended", shows.
      if (switching && !over) return void (endedWhileSwitching = { reason });
      if (over) return;
      over = true;
      this.stop();
      if (this.back) return this.back(reason);
      app.shell.view(h('section', { class: 'sb-panel' }, h('h2', { tabindex: '-1' }, t('callEnded')), reason ? h('p', { class: 'sb-warn' }, t('callFailed', { reason })) : null, h('button', { type: 'button', class: 'sb-secondary', onclick: () => app.home() }, t('home'))));
    };
    app.shell.view(h('section', { class: 'sb-panel sb-call' }, status, remote, self, h('div', { class: 'sb-row' }, muteB, camB, hang), offer, keypad));
    let ticket: CallTicket;
    try {
      const r = await request();
      interactionId = r.interactionId;
      if (!invited && r.token && app.config.channels.callback?.enabled) waiting = { interactionId: r.interactionId, token: r.token };
      ticket = { wsUrl: r.sip.wsUrl, uri: `sip:${r.sip.username}@${r.sip.domain}`, target: r.sip.target, username: r.sip.username, password: r.sip.password, displayName: app.contact.name };
    } catch (err) {
      this.stop();
      if (invited) {
        // An invitation that ended (expired, withdrawn, the agent's phone away) cannot be retried.
        return finish(inviteRefusal(err) ?? app.shell.failure(err));
      }
      const why = err instanceof ApiError && (err.status === 404 || err.status === 503) ? t('callUnavailable') : app.shell.failure(err);
      app.shell.error(why, () => void this.place(request));
      status.textContent = why;
      return;
    }
    try {
      const { placeCall } = await import('./sip-call');
      const stream = this.stream ?? (await this.open());
      handle = await placeCall(ticket, stream, {
        state: (s, reason) => {
          if (s === 'ended') {
            sessionEnded = true;
            finish(reason);
            return tell();
          }
          status.textContent = t(s === 'ringing' ? 'ringing' : 'connected');
          offer.hidden = !waiting || !!offer.nextElementSibling?.classList.contains('sb-keep-place-call');
        },
        remote: (s) => {
          remote.srcObject = s;
          if (this.speaker && 'setSinkId' in remote) void (remote as HTMLMediaElement & { setSinkId(id: string): Promise<void> }).setSinkId(this.speaker);
        },
      });
    } catch (err) {
      finish(err instanceof Error ? err.message : String(err));
    }
  }
}

/** Why joining an invitation was refused, in the visitor's language, for the answers we know. */
function inviteRefusal(err: unknown): string | null {
  if (!(err instanceof ApiError)) return null;
  switch (err.code) {
    case 'invite_expired':
      return t('inviteExpired');
    case 'invite_cancelled':
      return t('inviteCancelled');
    case 'agent_unreachable':
    case 'agent_left':
    case 'invite_failed':
      return t('inviteFailed');
    default:
      return null;
  }
}

/** A WebSocket round trip to Switchboard: the widget socket answers a ping. */
function socketRoundTrip(): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(widgetSocketUrl());
    const timer = setTimeout(() => finish(false), 5000);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      ws.close();
      resolve(ok);
    };
    ws.onopen = () => ws.send(JSON.stringify({ type: 'ping', ref: 'test' }));
    ws.onmessage = (e) => {
      if ((JSON.parse(String(e.data)) as { type: string }).type === 'pong') finish(true);
    };
    ws.onerror = () => finish(false);
  });
}

/**
 * Whether media can flow between this browser and our media server: a peer connection offers
 * what a call would, the server has the media server answer it, and the browser must complete
 * ICE and DTLS with it — what a network that blocks calls would stop.
 */
async function mediaProbe(stream: MediaStream): Promise<'ok' | 'blocked' | 'unavailable'> {
  const pc = new RTCPeerConnection({ iceServers: [] });
  try {
    for (const track of stream.getAudioTracks()) pc.addTrack(track, stream);
    await pc.setLocalDescription(await pc.createOffer());
    // The media server takes no trickled candidates: wait until they are all in the offer.
    await new Promise<void>((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 5000);
    });
    let sdp: string;
    try {
      ({ sdp } = await call<CallProbeAnswer>('POST', '/calls/probe', { sdp: pc.localDescription!.sdp }));
    } catch (err) {
      // The server says calls are off or its media server is down: not the visitor's network.
      if (err instanceof ApiError && err.status >= 500) return 'unavailable';
      throw err;
    }
    const connected = new Promise<boolean>((resolve) => {
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected') resolve(true);
        else if (pc.connectionState === 'failed') resolve(false);
      });
      setTimeout(() => resolve(false), 8000);
    });
    await pc.setRemoteDescription({ type: 'answer', sdp });
    return (await connected) ? 'ok' : 'blocked';
  } catch {
    return 'blocked';
  } finally {
    pc.close();
  }
}
