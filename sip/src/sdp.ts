// The few SDP facts call control needs. Media negotiation itself belongs to rtpengine; these
// helpers only validate what we forward, and read or set the direction for hold/resume.

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

const MEDIA = /^m=(audio|video|application|text|message|image) (\d+)(?:\/\d+)? ([A-Za-z0-9/]+) (\S.*)$/;

function lines(sdp: string): string[] {
  return sdp.split(/\r?\n/).filter((l) => l.length > 0);
}

const ORIGIN = /^o=\S+ \d+ \d+ IN IP[46] \S+$/;
const CONNECTION = /^c=IN IP[46] \S+$/;

/**
 * Why `sdp` is not a usable offer/answer (RFC 4566 essentials), or undefined when it is.
 * One pass over the lines (it runs on every offer and answer); the checks are reported in a fixed
 * order, so the first problem named does not depend on where it sits in the SDP.
 */
export function sdpProblem(sdp: string): string | undefined {
  const ls = lines(sdp);
  let origin = false;
  let name = false;
  let notTyped: string | undefined;
  let sessionConn = false;
  let badMedia: string | undefined;
  let inMedia = false;
  let blockConn = false;
  let mediaConn = true;
  let badConn = false;
  for (const l of ls) {
    if (notTyped === undefined && !/^[a-z]=/.test(l)) notTyped = l;
    if (l.startsWith('m=')) {
      if (inMedia && !blockConn) mediaConn = false;
      inMedia = true;
      blockConn = false;
      if (badMedia === undefined && !MEDIA.test(l)) badMedia = l;
    } else if (l.startsWith('c=')) {
      const ok = CONNECTION.test(l);
      if (!ok) badConn = true;
      else if (inMedia) blockConn = true;
      else sessionConn = true;
    } else if (l.startsWith('o=')) {
      origin ||= ORIGIN.test(l);
    } else if (l.startsWith('s=')) {
      name = true;
    }
  }
  if (inMedia && !blockConn) mediaConn = false;
  if (ls[0] !== 'v=0') return 'SDP must start with v=0';
  if (!origin) return 'SDP origin (o=) missing or malformed';
  if (!name) return 'SDP session name (s=) missing';
  if (notTyped !== undefined) return `SDP line not of the form <type>=<value>: ${notTyped.slice(0, 40)}`;
  if (!inMedia) return 'SDP has no media (m=) line';
  if (badMedia !== undefined) return `SDP media line malformed: ${badMedia.slice(0, 40)}`;
  if (!sessionConn && !mediaConn) return 'SDP connection address (c=) missing';
  if (badConn) return 'SDP connection line malformed';
  return undefined;
}

export function mediaKinds(sdp: string): string[] {
  return lines(sdp).flatMap((l) => {
    const m = MEDIA.exec(l);
    return m ? [m[1]!] : [];
  });
}

/** Direction of the first media stream (media-level attribute wins over session-level). */
export function getDirection(sdp: string): Direction {
  const ls = lines(sdp);
  const firstMedia = ls.findIndex((l) => l.startsWith('m='));
  const find = (block: string[]): Direction | undefined =>
    block.map((l) => /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(l)?.[1]).find((d) => d) as Direction | undefined;
  if (firstMedia >= 0) {
    const end = ls.findIndex((l, j) => j > firstMedia && l.startsWith('m='));
    const media = find(ls.slice(firstMedia, end < 0 ? ls.length : end));
    if (media) return media;
  }
  return find(ls.slice(0, firstMedia < 0 ? ls.length : firstMedia)) ?? 'sendrecv';
}

/** A hold offer: sendonly/inactive, or the RFC 2543 c=0.0.0.0 form. */
export function isHold(sdp: string): boolean {
  const d = getDirection(sdp);
  return d === 'sendonly' || d === 'inactive' || /^c=IN IP4 0\.0\.0\.0$/m.test(sdp);
}

/** Sets the direction on every media stream, replacing any existing direction attribute. */
export function setDirection(sdp: string, dir: Direction): string {
  const out: string[] = [];
  let inMedia = false;
  for (const l of lines(sdp)) {
    if (/^a=(sendrecv|sendonly|recvonly|inactive)$/.test(l)) continue;
    if (l.startsWith('m=')) {
      inMedia = true;
    }
    out.push(l);
    if (l.startsWith('m=') && inMedia) out.push(`a=${dir}`);
  }
  // The direction line belongs right after m= is legal (attributes are unordered after c=/b=).
  return out.join('\r\n') + '\r\n';
}

/** Bumps the o= version, required whenever a changed SDP is offered again (RFC 3264 §8). */
export function bumpOriginVersion(sdp: string): string {
  return sdp.replace(/^(o=\S+ \d+ )(\d+)/m, (_, pre: string, v: string) => `${pre}${BigInt(v) + 1n}`);
}
