import { offersVideo } from './sdp';

const audio = ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0 8 101', 'a=sendrecv'];

describe('offersVideo', () => {
  it('sees the video of a PBX offer (plain RTP) and of a WebRTC one', () => {
    expect(offersVideo([...audio, 'm=video 40002 RTP/AVP 96', 'a=rtpmap:96 VP8/90000', ''].join('\r\n'))).toBe(true);
    expect(offersVideo([...audio, 'm=video 9 UDP/TLS/RTP/SAVPF 96 97', 'a=sendrecv'].join('\n'))).toBe(true);
  });

  it('says no to audio only, to declined or inactive video, and to anything that is not SDP', () => {
    expect(offersVideo(audio.join('\r\n'))).toBe(false);
    expect(offersVideo([...audio, 'm=video 0 RTP/AVP 96'].join('\r\n'))).toBe(false);
    expect(offersVideo([...audio, 'm=video 40002 RTP/AVP 96', 'a=inactive'].join('\r\n'))).toBe(false);
    expect(offersVideo(['v=0', 'a=inactive', 'm=video 40002 RTP/AVP 96'].join('\r\n'))).toBe(false);
    expect(offersVideo('m=videox 40002 RTP/AVP 96')).toBe(false);
    expect(offersVideo('m=video abc RTP/AVP 96')).toBe(false);
    expect(offersVideo('')).toBe(false);
    expect(offersVideo(undefined)).toBe(false);
    expect(offersVideo({ body: 'm=video 1 RTP/AVP 96' })).toBe(false);
  });
});
