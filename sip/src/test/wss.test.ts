// SIP over secure WebSocket, when TLS is configured: same behaviour as plain WebSocket.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { pino } from 'pino';
import { SipEngine } from '../engine.js';
import { freePort } from './support/services.js';
import { statusOf } from './support/raw.js';

function selfSigned(): { cert: Buffer; key: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'sb-wss-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) };
}

function exchange(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}`, 'sip', { rejectUnauthorized: false });
    ws.once('error', reject);
    ws.once('open', () => ws.send(message));
    ws.on('message', (d: Buffer) => {
      const text = d.toString('utf8');
      if (statusOf(text) >= 200) {
        ws.close();
        resolve(text);
      }
    });
  });
}

describe('SIP over secure WebSocket (WSS)', () => {
  let engine: SipEngine;
  let wssPort: number;
  before(async () => {
    wssPort = await freePort();
    engine = new SipEngine({ listen: { host: '127.0.0.1', udpPort: await freePort(), wss: { port: wssPort, ...selfSigned() } }, logger: pino({ level: 'silent' }) });
    await engine.listen();
  });
  after(() => engine.close());
  // Nothing here may open a dialog; one left over would mean a bad message got further than 4xx.
  afterEach(() => {
    expect([...engine.dialogs.keys()], 'dialogs left over').to.deep.equal([]);
  });

  const options = (cseq: string): string => [
    'OPTIONS sip:switchboard@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/WSS abc.invalid;branch=z9hG4bKwss' + cseq.replace(/\W/g, ''), 'From: <sip:a@x.invalid>;tag=w1',
    'To: <sip:switchboard@127.0.0.1>', 'Call-ID: wss-1', `CSeq: ${cseq}`, 'Max-Forwards: 70', 'Content-Length: 0', '', '',
  ].join('\r\n');

  it('answers OPTIONS over TLS', async () => {
    expect(statusOf(await exchange(wssPort, options('1 OPTIONS')))).to.equal(200);
  });

  it('answers 400 to a malformed request over TLS', async () => {
    expect(statusOf(await exchange(wssPort, options('x OPTIONS')))).to.equal(400);
  });

  it('advertises a transport=wss Contact on secure flows', () => {
    const [contact] = engine.stack.contactFor({ protocol: 'ws', address: '127.0.0.1', port: 1, connectionId: 'ws#x', secure: true });
    expect(contact!.uri).to.equal(`sip:switchboard@127.0.0.1:${wssPort};transport=wss`);
  });
});
