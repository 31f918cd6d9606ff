// RFC 4475 torture messages (and a few of our own) over UDP, TCP and WebSocket: the process must
// stay up, invalid requests must get 400 on the flow they came from, and the engine must still
// serve a normal request afterwards.
import { expect } from 'chai';
import WebSocket from 'ws';
import type { RunningEngine } from '../engine-api.js';
import { ENGINE_KIND, startTestEngine } from './support/engine.js';
import { finalResponse, statusOf, tcpClient, udpClient, wsClient, type Client } from './support/raw.js';

const CRLF = (s: string): string => s.replace(/\r?\n/g, '\r\n');

/** Each must be answered 400. Bodies are sized so Content-Length is right unless that is the point. */
const BAD: Record<string, string> = {
  'non-numeric CSeq': CRLF(`INVITE sip:7000@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKnncseq
From: <sip:a@example.com>;tag=1
To: <sip:7000@example.com>
Call-ID: bad-cseq@192.0.2.1
CSeq: abc INVITE
Max-Forwards: 70
Content-Length: 0

`),
  'RFC 4475 3.1.2.4 scalar02 (overlarge CSeq and Max-Forwards)': CRLF(`REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/TCP host129.example.com;branch=z9hG4bKzzxdiwo34sw;received=192.0.2.129
To: <sip:user@example.com>
From: <sip:other@example.net>;tag=3232299
Call-ID: scalar02.23o0pd9vanlq3wnrlnewofjas9ui32
Max-Forwards: 300
Expires: 1${'0'.repeat(20)}
Contact: <sip:user@host129.example.com>;expires=280297596632815
CSeq: 36893488147419103232 REGISTER
Content-Length: 0

`),
  'RFC 4475 3.1.2.17 mismatch01 (CSeq method differs from the request)': CRLF(`OPTIONS sip:user@example.com SIP/2.0
To: sip:j.user@example.com
From: sip:caller@example.net;tag=34525
Max-Forwards: 6
Call-ID: mismatch01.dj0234sxdfl3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host.example.com;branch=z9hG4bKkdjuw
l: 0

`),
  'RFC 4475 3.1.2.16 badvers (SIP/7.0)': CRLF(`OPTIONS sip:t.watson@example.org SIP/7.0
Via:     SIP/7.0/UDP c.example.com;branch=z9hG4bKkdjuw
Max-Forwards:     70
From:    A. Bell <sip:a.g.bell@example.com>;tag=qweoiqpe
To:      T. Watson <sip:t.watson@example.org>
Call-ID: badvers.31417@c.example.com
CSeq:    1 OPTIONS
l: 0

`),
  'RFC 4475 3.1.2.3 ncl (negative Content-Length)': CRLF(`INVITE sip:user@example.com SIP/2.0
Max-Forwards: 254
To: sip:j.user@example.com
From: sip:caller@example.net;tag=32394234
Call-ID: ncl.0ha0isndaksdj2193423r542w35
CSeq: 0 INVITE
Via: SIP/2.0/UDP 192.0.2.53;branch=z9hG4bKkdjuw
Contact: <sip:caller@example53.example.net>
Content-Type: application/sdp
Content-Length: -999

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.53
s=-
c=IN IP4 192.0.2.53
t=0 0
m=audio 49217 RTP/AVP 0
`),
  'RFC 4475 3.1.2.6 quotbal (unterminated quoted display name)': CRLF(`INVITE sip:user@example.com SIP/2.0
To: "Mr. J. User <sip:j.user@example.com>
From: sip:caller@example.net;tag=93334
Max-Forwards: 10
Call-ID: quotbal.aksdj
Contact: <sip:caller@host59.example.net>
CSeq: 8 INVITE
Via: SIP/2.0/UDP 192.0.2.59:5050;branch=z9hG4bKkdjuw39234
Content-Length: 0

`),
  'missing Call-ID': CRLF(`OPTIONS sip:x@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKnocallid
From: <sip:a@example.com>;tag=1
To: <sip:x@example.com>
CSeq: 1 OPTIONS
Content-Length: 0

`),
};

/** A valid OPTIONS but for `change`; `n` keeps transactions apart. */
function options(n: string, change: (m: string) => string): string {
  return change(CRLF(`OPTIONS sip:switchboard@127.0.0.1 SIP/2.0
Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKstrict${n}
From: <sip:a@example.com>;tag=s${n}
To: <sip:switchboard@127.0.0.1>
Call-ID: strict-${n}@192.0.2.1
CSeq: 1 OPTIONS
Max-Forwards: 70
X-Note: plain text
Content-Length: 0

`));
}

/** What RFC 3261 forbids and the parser library lets through: 400, with the reason phrase naming it. */
const STRICT: Record<string, { message: (n: string) => string; reason: string }> = {
  'a duplicated Content-Length': { message: (n) => options(n, (m) => m.replace('Content-Length: 0', 'Content-Length: 0\r\nl: 0')), reason: 'duplicated Content-Length' },
  'a Request-URI without a scheme': { message: (n) => options(n, (m) => m.replace('OPTIONS sip:switchboard@127.0.0.1', 'OPTIONS switchboard')), reason: 'malformed Request-URI' },
  'an unparsable SIP Request-URI': { message: (n) => options(n, (m) => m.replace('sip:switchboard@127.0.0.1 SIP', 'sip:switchboard@[::1 SIP')), reason: 'malformed Request-URI' },
  'a Request-URI with a space': { message: (n) => options(n, (m) => m.replace('sip:switchboard@127.0.0.1 SIP', 'sip:switch board@127.0.0.1 SIP')), reason: 'malformed Request-URI' },
  'a port over 65535 in the Request-URI': { message: (n) => options(n, (m) => m.replace('sip:switchboard@127.0.0.1 SIP', 'sip:switchboard@127.0.0.1:65536 SIP')), reason: 'port out of range in the Request-URI' },
  'a port over 65535 in Via': { message: (n) => options(n, (m) => m.replace('192.0.2.1:5060', '192.0.2.1:99999')), reason: 'port out of range in Via' },
  'a port over 65535 in Contact': { message: (n) => options(n, (m) => m.replace('X-Note', 'Contact: <sip:a@192.0.2.1:123456>\r\nX-Note')), reason: 'port out of range in Contact' },
  'a control character in a header name': { message: (n) => options(n, (m) => m.replace('X-Note', 'X-N\x01ote')), reason: 'control character in a header name' },
  'a NUL in a header value': { message: (n) => options(n, (m) => m.replace('plain text', 'plain\x00text')), reason: 'control character in a header value' },
  'an escape character in the From tag': { message: (n) => options(n, (m) => m.replace(`tag=s${n}`, `tag=s${n}\x1b`)), reason: 'control character in a header value' },
  'a lone CR in a header value': { message: (n) => options(n, (m) => m.replace('plain text', 'plain\rInjected: 1')), reason: 'control character in a header value' },
  'a lone LF in a header value': { message: (n) => options(n, (m) => m.replace('plain text', 'plain\nInjected: 1')), reason: 'control character in a header value' },
  'a folded first header line': { message: (n) => options(n, (m) => m.replace('\r\nVia:', '\r\n Via:')), reason: 'folded first header line' },
};

/** RFC 4475 3.1.2.2 clerr: only meaningful on datagram transports (a stream would wait for the rest). */
const CLERR = CRLF(`INVITE sip:user@example.com SIP/2.0
Max-Forwards: 80
To: sip:j.user@example.com
From: sip:caller@example.net;tag=93942939o2
Contact: <sip:caller@hungry.example.net>
Call-ID: clerr.0ha0isndaksdjweiafasdk3
CSeq: 8 INVITE
Via: SIP/2.0/UDP host5.example.com;branch=z9hG4bK-39234-23523
Content-Type: application/sdp
Content-Length: 9999

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.155
s=-
c=IN IP4 192.0.2.155
t=0 0
m=audio 49217 RTP/AVP 0
`);


/** RFC 4475 §3.1.1: valid but tortuous messages. They must be understood, not refused with 400. */
const WSINV_RAW = `INVITE sip:vivekg@chair-dnrc.example.com;unknownparam SIP/2.0
TO :
 sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n
from   : "J Rosenberg \\\\\\""       <sip:jdrosen@example.com>
  ;
  tag = 98asjd8
MaX-fOrWaRdS: 0068
Call-ID: wsinv.ndaksdj@192.0.2.1
Content-Length   : 150
cseq: 0009
  INVITE
Via  : SIP  /   2.0
 /UDP
    192.0.2.2;branch=390skdjuw
s :
NewFangledHeader:   newfangled value
 continued newfangled value
UnknownHeaderWithUnusualValue: ;;,,;;,;
Content-Type: application/sdp
Route:
 <sip:services.example.com;lr;unknownwith=value;unknown-no-value>
v:  SIP  / 2.0  / TCP     spindle.example.com   ;
  branch  =   z9hG4bK9ikj8  ,
 SIP  /    2.0   / UDP  192.168.255.111   ; branch=
 z9hG4bK30239
m:"Quoted string \\"\\"" <sip:jdrosen@example.com> ; newparam =
      newvalue ;
  secondparam ; q = 0.33

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.3
s=-
c=IN IP4 192.0.2.4
t=0 0
m=audio 49217 RTP/AVP 0 12
m=video 3227 RTP/AVP 31
a=rtpmap:31 LPC
`.replace(/\n/g, '\r\n');
// The body is 150 octets in the RFC; keep Content-Length exact whatever this file's line endings.
const WSINV = WSINV_RAW.replace('Content-Length   : 150', `Content-Length   : ${WSINV_RAW.split('\r\n\r\n')[1]!.length}`);
const INTMETH = `!interesting-Method0123456789_*+\`.%indeed'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0
Via: SIP/2.0/TCP host1.example.com;branch=z9hG4bK-.!%66*_+\`'~
To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7F" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>
From: token1~\` token2'+_ token3*%!.- <sip:mundane@example.com>;fromParam''~+*_!.-%="\xD1\x80\xD0\xB0\xD0\xB1\xD0\xBE\xD1\x82\xD0\xB0\xD1\x8E\xD1\x89\xD0\xB8\xD0\xB9";tag=_token~1'+\`*%!-.
Call-ID: intmeth.word%ZK-!.*_+'@word\`~)(><:\\/"][?}{
CSeq: 139122385 !interesting-Method0123456789_*+\`.%indeed'~
Max-Forwards: 255
extensionHeader-!.%*+_\`'~:\xEF\xBB\xBF\xE5\xA4\xA7\xE5\x81\x9C\xE9\x9B\xBB
Content-Length: 0

`.replace(/\n/g, '\r\n');

/** A valid OPTIONS; its Via names the transport it is sent on (RFC 3261 §18.2.2 answers by it). */
const OPTIONS_OK = (n: number, via = 'UDP'): string => CRLF(`OPTIONS sip:switchboard@127.0.0.1 SIP/2.0
Via: SIP/2.0/${via} 127.0.0.1:9;branch=z9hG4bKalive${n}
From: <sip:probe@127.0.0.1>;tag=p${n}
To: <sip:switchboard@127.0.0.1>
Call-ID: alive-${n}@127.0.0.1
CSeq: 1 OPTIONS
Max-Forwards: 70
Content-Length: 0

`);


type Transport = 'UDP' | 'TCP' | 'WebSocket';
type Expected = number | 'none';

/**
 * On drachtio-server these messages meet sofia-sip's parser, not ours, and it answers some
 * differently. 'none': nothing comes back to the sender — sofia-sip answers to the message's own
 * Via (RFC 3261 §18.2.2; an address from the RFC's examples) or drops what it cannot read
 * (intmeth's NUL and DEL bytes); either way the message never reaches call control.
 */
const ON_DRACHTIO: Record<string, Partial<Record<Transport, Expected>>> = {
  'RFC 4475 3.1.2.4 scalar02 (overlarge CSeq and Max-Forwards)': { UDP: 'none' },
  // RFC 4475 asks for 505 here; our engine answers 400 to any unreadable start line.
  'RFC 4475 3.1.2.16 badvers (SIP/7.0)': { UDP: 'none', TCP: 505, WebSocket: 505 },
  wsinv: { TCP: 'none', WebSocket: 'none' },
  intmeth: { UDP: 'none', TCP: 'none', WebSocket: 'none' },
};

function expected(label: string, transport: Transport, inProcess: number): Expected {
  return ENGINE_KIND === 'drachtio' ? (ON_DRACHTIO[label]?.[transport] ?? inProcess) : inProcess;
}

/** How long "sends nothing back" listens: an answer, when there is one, comes well within it. */
const SILENCE_MS = 3000;

const says = (want: Expected): string => (want === 'none' ? 'sends nothing back' : `answers ${want}`);

async function expectAnswer(c: Client, want: Expected): Promise<void> {
  if (want === 'none') {
    let got: string | undefined;
    await finalResponse(c, { budgetMs: SILENCE_MS }).then((r) => (got = r), () => undefined);
    expect(got, 'a response to the sender').to.equal(undefined);
    return;
  }
  expect(statusOf(await finalResponse(c))).to.equal(want);
}

describe('malformed and torture messages (RFC 4475) never take the engine down', function () {
  let engine: RunningEngine;
  let sipPort: number;
  let wsPort: number;

  /** Call-IDs of the requests that got as far as the middleware (call control's first step). */
  const reached: string[] = [];

  before(async () => {
    ({ engine, sipPort, wsPort } = await startTestEngine());
    engine.use((req, _res, next) => {
      reached.push(req.callId);
      next();
    });
  });
  after(() => engine.close());
  // Nothing here may open a dialog; one left over would mean a bad message got further than 4xx.
  afterEach(() => {
    expect([...engine.dialogs.keys()], 'dialogs left over').to.deep.equal([]);
  });

  const transports: Array<[Transport, () => Promise<Client>, boolean, string]> = [
    ['UDP', () => udpClient(sipPort), true, 'UDP'],
    ['TCP', () => tcpClient(sipPort), false, 'TCP'],
    ['WebSocket', () => wsClient(wsPort), true, 'WS'],
  ];

  for (const [name, connect, datagram, via] of transports) {
    describe(`over ${name}`, () => {
      for (const [label, msg] of Object.entries(BAD)) {
        const want = expected(label, name, 400);
        it(`${says(want)} to: ${label}`, async () => {
          // TCP: a framing error closes the connection, so every case gets its own.
          const c = await connect();
          try {
            c.send(msg);
            await expectAnswer(c, want);
          } finally {
            c.close();
          }
        });
      }
      for (const [label, { message, reason }] of Object.entries(STRICT)) {
        if (ENGINE_KIND === 'drachtio') {
          // sofia-sip parses first, with its own rules: it refuses these in its own words or
          // answers to their Via (192.0.2.1), except a folded first header line, which it unfolds.
          if (label === 'a folded first header line') {
            it(`understands ${label} (sofia-sip unfolds it) and answers 200`, async () => {
              const c = await connect();
              try {
                c.send(message(`${name}${Math.floor(Math.random() * 1e9)}`).replace('SIP/2.0/UDP 192.0.2.1:5060', `SIP/2.0/${via} 127.0.0.1:9`));
                await expectAnswer(c, 200);
              } finally {
                c.close();
              }
            });
            continue;
          }
          it(`refuses or drops ${label}, which never reaches call control`, async () => {
            const c = await connect();
            const before = reached.length;
            try {
              c.send(message(`${name}${Math.floor(Math.random() * 1e9)}`));
              const res = await finalResponse(c, { budgetMs: SILENCE_MS }).catch(() => undefined);
              if (res) expect(statusOf(res), res.split('\r\n')[0]).to.be.within(400, 599);
              expect(reached.length, 'requests that reached the middleware').to.equal(before);
            } finally {
              c.close();
            }
          });
          continue;
        }
        it(`answers 400 naming the problem to ${label}`, async () => {
          const c = await connect();
          try {
            c.send(message(`${name}${Math.floor(Math.random() * 1e9)}`));
            const res = await finalResponse(c);
            expect(res.split('\r\n')[0]).to.equal(`SIP/2.0 400 Bad Request (${reason})`);
            // eslint-disable-next-line no-control-regex
            expect(res, 'the 400 repeats no control character').not.to.match(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/);
          } finally {
            c.close();
          }
        });
      }
      const wsinv = expected('wsinv', name, 481);
      it(`understands RFC 4475 3.1.1.1 wsinv (folding, odd whitespace, compact forms): ${says(wsinv)}, its To tag names no dialog`, async () => {
        const c = await connect();
        try {
          // One transaction per transport: the same branch/Call-ID again would be a retransmission.
          c.send(WSINV.replace('Call-ID: wsinv.ndaksdj', `Call-ID: wsinv.${name}`));
          await expectAnswer(c, wsinv);
        } finally {
          c.close();
        }
      });
      const intmeth = expected('intmeth', name, 405);
      it(`understands RFC 4475 3.1.1.3 intmeth (unusual method and tokens) and ${says(intmeth)}`, async () => {
        const c = await connect();
        try {
          c.send(INTMETH.replace('branch=z9hG4bK-.', `branch=z9hG4bK-${name}.`));
          await expectAnswer(c, intmeth);
        } finally {
          c.close();
        }
      });
      if (datagram) {
        it('answers 400 to RFC 4475 3.1.2.2 clerr (Content-Length larger than the message)', async () => {
          const c = await connect();
          try {
            c.send(CLERR);
            expect(statusOf(await finalResponse(c))).to.equal(400);
          } finally {
            c.close();
          }
        });
      }
      it('still answers a well-formed OPTIONS afterwards', async () => {
        const c = await connect();
        try {
          c.send(OPTIONS_OK(Math.floor(Math.random() * 1e9), via));
          expect(statusOf(await finalResponse(c))).to.equal(200);
        } finally {
          c.close();
        }
      });
    });
  }

  it('ignores garbage that is not SIP at all, and keeps serving', async () => {
    const c = await udpClient(sipPort);
    try {
      c.send('\u0000\u0001GET / HTTP/1.1\r\n\r\n');
      c.send('INVITE\r\n\r\n');
      c.send(OPTIONS_OK(7));
      expect(statusOf(await finalResponse(c))).to.equal(200);
    } finally {
      c.close();
    }
  });

  // drachtio-server (sofia-sip) accepts a WebSocket without the "sip" subprotocol (RFC 7118 puts
  // the check on the client), keeps it open and serves SIP on it.
  const withoutSubprotocol = ENGINE_KIND === 'drachtio' ? 'served' : 'refused';
  it(`${withoutSubprotocol === 'served' ? 'serves' : 'refuses'} a WebSocket without the "sip" subprotocol`, async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${wsPort}`);
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => {
        ws.once('close', () => resolve('closed after open'));
        // Open: the final answer to a request sent on it says the server kept it and serves it.
        ws.on('message', (d: Buffer) => {
          if (statusOf(d.toString('utf8')) >= 200) resolve('served');
        });
        ws.send(OPTIONS_OK(Math.floor(Math.random() * 1e9), 'WS'));
      });
      ws.once('error', () => resolve('refused'));
      ws.once('unexpected-response', () => resolve('refused'));
    });
    ws.terminate();
    expect(outcome).to.equal(withoutSubprotocol);
  });
});
