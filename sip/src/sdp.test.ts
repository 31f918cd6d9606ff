import { expect } from 'chai';
import { bumpOriginVersion, getDirection, isHold, mediaKinds, sdpProblem, setDirection } from './sdp.js';

const OFFER = [
  'v=0', 'o=- 4858 2 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000',
  'm=video 51372 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', '',
].join('\r\n');

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
