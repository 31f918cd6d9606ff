import { expect } from 'chai';
import { bumpOriginVersion, getDirection, isHold, mediaKinds, sdpProblem, setDirection } from './sdp.js';

const OFFER = [
  'v=0', 'o=- 4858 2 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
  'm=video 51372 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', '',
].join('\r\n');


/** sdpProblem as first written (several passes); the one-pass version must agree with it. */
function referenceProblem(sdp: string): string | undefined {
  const MEDIA = /^m=(audio|video|application|text|message|image) (\d+)(?:\/\d+)? ([A-Za-z0-9/]+) (\S.*)$/;
  const ls = sdp.split(/\r?\n/).filter((l) => l.length > 0);
  if (ls[0] !== 'v=0') return 'SDP must start with v=0';
  if (!ls.some((l) => /^o=\S+ \d+ \d+ IN IP[46] \S+$/.test(l))) return 'SDP origin (o=) missing or malformed';
  if (!ls.some((l) => l.startsWith('s='))) return 'SDP session name (s=) missing';
  const bad = ls.find((l) => !/^[a-z]=/.test(l));
  if (bad !== undefined) return `SDP line not of the form <type>=<value>: ${bad.slice(0, 40)}`;
  const firstMedia = ls.findIndex((l) => l.startsWith('m='));
  if (firstMedia < 0) return 'SDP has no media (m=) line';
  const sessionConn = ls.slice(0, firstMedia).some((l) => /^c=IN IP[46] \S+$/.test(l));
  let mediaConn = true;
  for (let i = firstMedia; i < ls.length; i++) {
    const l = ls[i]!;
    if (!l.startsWith('m=')) continue;
    if (!MEDIA.test(l)) return `SDP media line malformed: ${l.slice(0, 40)}`;
    const end = ls.findIndex((x, j) => j > i && x.startsWith('m='));
    const block = ls.slice(i + 1, end < 0 ? ls.length : end);
    if (!block.some((x) => /^c=IN IP[46] \S+$/.test(x))) mediaConn = false;
  }
  if (!sessionConn && !mediaConn) return 'SDP connection address (c=) missing';
  if (ls.some((l) => l.startsWith('c=') && !/^c=IN IP[46] \S+$/.test(l))) return 'SDP connection line malformed';
  return undefined;
}

describe('SDP helpers', () => {
  it('accepts a well-formed audio+video offer', () => {
    expect(sdpProblem(OFFER)).to.equal(undefined);
    expect(mediaKinds(OFFER)).to.deep.equal(['audio', 'video']);
  });

  it('names the problem in a malformed offer', () => {
    expect(sdpProblem('hello')).to.match(/v=0/);
    expect(sdpProblem(OFFER.replace('o=- 4858 2 IN IP4 192.0.2.10', 'o=broken'))).to.match(/origin/);
    expect(sdpProblem(OFFER.replace('m=audio 49170', 'm=audio notaport'))).to.match(/media line/);
    expect(sdpProblem(OFFER.replace('c=IN IP4 192.0.2.10\r\n', ''))).to.match(/connection/);
    expect(sdpProblem('v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\nc=IN IP4 1.2.3.4\r\nt=0 0\r\n')).to.match(/no media/);
    expect(sdpProblem(OFFER + 'garbage line\r\n')).to.match(/<type>=<value>/);
  });

  it('judges every damaged variant of an offer as the multi-pass reference did', () => {
    const base = OFFER.replace('m=video 51372 RTP/AVP 96', 'c=IN IP4 192.0.2.11\r\nm=video 51372 RTP/AVP 96').split('\r\n');
    const damage = [
      () => undefined,
      (l: string) => `X${l}`,
      (l: string) => l.replace(/\d+/, 'x'),
      (l: string) => `${l}\r\n${l}`,
      (l: string) => `c=IN IP4 198.51.100.1\r\n${l}`,
      (l: string) => `m=audio 1 RTP/AVP 0\r\n${l}`,
    ];
    let compared = 0;
    for (let i = 0; i < base.length; i++) {
      for (const d of damage) {
        const variant = [...base.slice(0, i), d(base[i]!), ...base.slice(i + 1)].filter((l) => l !== undefined).join('\r\n');
        expect(sdpProblem(variant), variant).to.equal(referenceProblem(variant));
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(50);
  });

  it('reads the direction: media-level wins, default sendrecv', () => {
    expect(getDirection(OFFER)).to.equal('sendrecv');
    expect(getDirection(OFFER.replace('t=0 0', 't=0 0\r\na=recvonly'))).to.equal('recvonly');
    expect(getDirection(OFFER.replace('t=0 0', 't=0 0\r\na=recvonly').replace('a=rtpmap:0 PCMU/8000', 'a=rtpmap:0 PCMU/8000\r\na=sendonly'))).to.equal('sendonly');
  });

  it('recognises hold offers, including the RFC 2543 c=0.0.0.0 form', () => {
    expect(isHold(OFFER)).to.equal(false);
    expect(isHold(setDirection(OFFER, 'sendonly'))).to.equal(true);
    expect(isHold(setDirection(OFFER, 'inactive'))).to.equal(true);
    expect(isHold(OFFER.replace('c=IN IP4 192.0.2.10', 'c=IN IP4 0.0.0.0'))).to.equal(true);
  });

  it('sets one direction per media stream, replacing existing ones', () => {
    const held = setDirection(setDirection(OFFER, 'recvonly'), 'sendonly');
    expect(held.match(/a=sendonly/g)).to.have.length(2);
    expect(held).not.to.match(/a=recvonly/);
    expect(sdpProblem(held)).to.equal(undefined);
  });

  it('bumps the origin version for a changed offer (RFC 3264 §8)', () => {
    expect(bumpOriginVersion(OFFER)).to.contain('o=- 4858 3 IN IP4');
    expect(bumpOriginVersion(OFFER.replace('4858 2', '4858 18446744073709551615'))).to.contain('18446744073709551616');
  });
});
