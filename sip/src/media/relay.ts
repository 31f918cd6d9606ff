// Media relay seen by call control: rtpengine's offer/answer/delete, keyed by a media session id
// (one per CallSession) and the two legs' tags. `profile` names the side the produced SDP is
// for: 'webrtc' (browser: DTLS-SRTP, ICE, rtcp-mux) or 'rtp' (PBX: plain RTP/AVP).
import rtpengine from 'rtpengine-client';
import type { NgParams, NgResponse } from 'rtpengine-client';

export type MediaProfile = 'webrtc' | 'rtp';

export interface MediaOffer {
  sessionId: string;
  fromTag: string;
  sdp: string;
  profile: MediaProfile;
}

export interface MediaAnswer extends MediaOffer {
  toTag: string;
}

export interface MediaRelay {
  readonly kind: 'rtpengine' | 'passthrough';
  offer(o: MediaOffer): Promise<string>;
  answer(a: MediaAnswer): Promise<string>;
  /** Idempotent: deleting an unknown session is not an error. */
  delete(sessionId: string): Promise<void>;
  /**
   * Of these sessions, the ones the relay says it does not have (it restarted and lost them).
   * A relay that cannot be asked, or does not answer, names none: only a clear "unknown" counts.
   */
  lostSessions?(sessionIds: string[]): Promise<string[]>;
  /** Plays a file to the party of `tag` (announcements); answers its length in ms. */
  play?(sessionId: string, tag: string, file: string): Promise<number>;
  stopPlaying?(sessionId: string, tag: string): Promise<void>;
  /** Commands that failed since start, by command and how (what /metrics counts). */
  failures?(): { command: string; kind: MediaFailureKind; count: number }[];
}

/** How a media relay let a call down: it said no, it did not answer, or it answered nonsense. */
export type MediaFailureKind = 'refused' | 'timeout' | 'bad-reply';

export class MediaError extends Error {
  /** The relay's own words ("Ran out of ports"), or what went wrong talking to it: for records. */
  readonly reason: string;
  readonly kind: MediaFailureKind;

  constructor(message: string, readonly sdpRejected = false, opts: { reason?: string; kind?: MediaFailureKind } = {}) {
    super(message);
    this.name = 'MediaError';
    this.reason = opts.reason ?? message;
    this.kind = opts.kind ?? 'refused';
  }
}

/** What to record for a failed media step: the relay's reason when it gave one. */
export function mediaFailureReason(err: unknown): string {
  if (err instanceof MediaError) return err.reason;
  return err instanceof Error ? err.message : String(err);
}

/** Signalling only: SDP goes through untouched (benchmarks, or a PBX that relays media itself). */
export class PassthroughRelay implements MediaRelay {
  readonly kind = 'passthrough' as const;
  async offer(o: MediaOffer): Promise<string> {
    return o.sdp;
  }
  /**
   * Towards a browser rtpengine answers DTLS `active`: it already starts DTLS as the client while
   * handling the browser's actpass offer, and switching it to passive at answer time left
   * Chromium's handshake stuck in "connecting" (ICE up, no audio) on this machine.
   */
  async answer(a: MediaAnswer): Promise<string> {
    return a.sdp;
  }
  async delete(): Promise<void> {}
}

const PROFILES: Record<MediaProfile, NgParams> = {
  // Flags checked on this machine (docs/architecture/sip.md, machine-notes).
  rtp: { 'transport-protocol': 'RTP/AVP', ICE: 'remove', DTLS: 'off', SDES: ['off'], 'rtcp-mux': ['demux'] },
  webrtc: { 'transport-protocol': 'UDP/TLS/RTP/SAVPF', ICE: 'force', 'rtcp-mux': ['require'] },
};

export interface RtpEngineOptions {
  host: string;
  port: number;
  /** ms to wait for each ng reply (default 2000). */
  timeout?: number;
  /**
   * Times a command is sent before it counts as unanswered (default 2). The ng protocol runs over
   * UDP: a datagram dropped by a full socket buffer under load is lost for good unless sent again.
   * Every command we send is safe to repeat (rtpengine answers a repeated offer for the same
   * call and tag with the same ports; a repeated delete finds nothing to delete).
   */
  tries?: number;
  /** Replies that could not be read or matched to a command (late, after their timeout; garbage). */
  onStrayReply?: (err: Error) => void;
}

type NgVerb = 'offer' | 'answer' | 'delete' | 'list' | 'query' | 'ping' | 'playMedia' | 'stopMedia';

export class RtpEngineRelay implements MediaRelay {
  readonly kind = 'rtpengine' as const;
  private readonly client: InstanceType<typeof rtpengine.Client>;
  private readonly failed = new Map<string, number>();

  constructor(private readonly opts: RtpEngineOptions) {
    this.client = new rtpengine.Client({ timeout: opts.timeout ?? 2000 });
    // The client reports a reply it cannot read, or one arriving after its command timed out, as an
    // 'error' event: without a listener that event would throw and end the process.
    this.client.on('error', (err: Error) => opts.onStrayReply?.(err));
  }

  /** Commands that failed since start, by command and how (what /metrics counts). */
  failures(): { command: string; kind: MediaFailureKind; count: number }[] {
    return [...this.failed].map(([k, count]) => {
      const [command, kind] = k.split(' ') as [string, MediaFailureKind];
      return { command, kind, count };
    });
  }

  private fail(verb: NgVerb, err: MediaError): MediaError {
    // An unknown call on delete or query is an answer, not a failure of the relay.
    if (!/unknown call/i.test(err.reason)) this.failed.set(`${verb} ${err.kind}`, (this.failed.get(`${verb} ${err.kind}`) ?? 0) + 1);
    return err;
  }

  private async send(verb: NgVerb, params: NgParams): Promise<NgResponse | undefined> {
    const { host, port } = this.opts;
    const tries = Math.max(1, this.opts.tries ?? 2);
    for (let i = 1; ; i++) {
      try {
        return verb === 'ping' ? await this.client.ping(port, host) : await this.client[verb](port, host, params);
      } catch (err) {
        if (!/timeout/i.test((err as Error).message ?? '')) throw this.fail(verb, new MediaError(`rtpengine ${verb}: ${(err as Error).message}`, false, { reason: `cannot send to rtpengine: ${(err as Error).message}`.slice(0, 48), kind: 'timeout' }));
        if (i >= tries) return undefined;
      }
    }
  }

  private async call(verb: NgVerb, params: NgParams): Promise<NgResponse> {
    const r = await this.send(verb, params);
    if (!r) {
      const reason = `no reply within ${this.opts.timeout ?? 2000} ms (${Math.max(1, this.opts.tries ?? 2)} tries)`;
      throw this.fail(verb, new MediaError(`rtpengine ${verb}: ${reason}`, false, { reason, kind: 'timeout' }));
    }
    if (typeof r !== 'object' || typeof r.result !== 'string') {
      throw this.fail(verb, new MediaError(`rtpengine ${verb}: a reply without a result`, false, { reason: 'reply without a result', kind: 'bad-reply' }));
    }
    if (r.result === 'ok' || r.result === 'pong') return r;
    // 'error' with its reason; other results ('load limit' when rtpengine sheds load) say theirs in 'message'.
    const said = String(r['error-reason'] ?? r.message ?? r.result);
    throw this.fail(verb, new MediaError(`rtpengine ${verb}: ${said}`, r.result === 'error' && /sdp|parse/i.test(said), { reason: said }));
  }

  private params(o: MediaOffer, extra: NgParams = {}): NgParams {
    const p: NgParams = {
      'call-id': o.sessionId,
      'from-tag': o.fromTag,
      sdp: o.sdp,
      replace: ['origin', 'session-connection'],
      ...PROFILES[o.profile],
      ...extra,
    };
    // Transcode only when the browser's offer shares no codec with a G.711 PBX.
    if (o.profile === 'rtp' && !/^a=rtpmap:\d+ (PCMU|PCMA)\//im.test(o.sdp)) p.codec = { transcode: ['PCMU', 'PCMA'] };
    return p;
  }

  async offer(o: MediaOffer): Promise<string> {
    const r = await this.call('offer', this.params(o));
    if (!r.sdp) throw this.fail('offer', new MediaError('rtpengine offer returned no SDP', false, { reason: 'reply without SDP', kind: 'bad-reply' }));
    return r.sdp;
  }

  /**
   * Towards a browser rtpengine answers DTLS `active`: it already starts DTLS as the client while
   * handling the browser's actpass offer, and switching it to passive at answer time left
   * Chromium's handshake stuck in "connecting" (ICE up, no audio) on this machine.
   */
  async answer(a: MediaAnswer): Promise<string> {
    const extra: NgParams = { 'to-tag': a.toTag, ...(a.profile === 'webrtc' ? { DTLS: 'active' } : {}) };
    const r = await this.call('answer', this.params(a, extra));
    if (!r.sdp) throw this.fail('answer', new MediaError('rtpengine answer returned no SDP', false, { reason: 'reply without SDP', kind: 'bad-reply' }));
    return r.sdp;
  }

  async delete(sessionId: string): Promise<void> {
    try {
      await this.call('delete', { 'call-id': sessionId, 'delete-delay': 0 });
    } catch (err) {
      if (err instanceof MediaError && /unknown call/i.test(err.reason)) return;
      throw err;
    }
  }

  /**
   * rtpengine's media player: plays an audio file (a path on rtpengine's host; WAV or anything its
   * player decodes) to the party whose SDP came with `tag`, in place of what the other side
   * sends. Answers the file's length in ms. For announcements, e.g. to a customer while an agent
   * is being connected.
   */
  async play(sessionId: string, tag: string, file: string): Promise<number> {
    const r = await this.call('playMedia', { 'call-id': sessionId, 'from-tag': tag, file });
    return Number(r.duration ?? 0);
  }

  /** Ends what play() started for that party; the session's own media flows again. */
  async stopPlaying(sessionId: string, tag: string): Promise<void> {
    await this.call('stopMedia', { 'call-id': sessionId, 'from-tag': tag });
  }

  /** Session ids rtpengine currently holds (tests assert none is left over). */
  async list(): Promise<string[]> {
    const r = await this.call('list', { limit: 1000 });
    return Array.isArray(r.calls) ? (r.calls as string[]) : [];
  }

  async query(sessionId: string): Promise<NgResponse> {
    return this.call('query', { 'call-id': sessionId }).catch(() => ({ result: 'error' }));
  }

  /**
   * One `list` for all of them; each one missing from it is confirmed by its own `query`, which
   * must fail with rtpengine's "Unknown call-id" (a list cut at its limit, or a timeout, is not a loss).
   */
  async lostSessions(sessionIds: string[]): Promise<string[]> {
    if (!sessionIds.length) return [];
    let held: Set<string>;
    try {
      held = new Set(await this.list());
    } catch {
      return [];
    }
    const missing = sessionIds.filter((id) => !held.has(id));
    const lost = await Promise.all(missing.map(async (id) => {
      try {
        await this.call('query', { 'call-id': id });
        return undefined;
      } catch (err) {
        return err instanceof MediaError && /unknown call/i.test(err.message) ? id : undefined;
      }
    }));
    return lost.filter((id): id is string => !!id);
  }

  async ping(): Promise<boolean> {
    try {
      return (await this.call('ping', {})).result === 'pong';
    } catch {
      return false;
    }
  }

  close(): void {
    this.client.close();
  }
}
