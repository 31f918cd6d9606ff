// Agents' own XMPP clients reach Prosody's client port from the agents' network, so nothing may
// travel there before TLS, a password least of all. These tests talk to the project's Prosody (and
// a private one for direct TLS) the way a client does, and check the configuration behind it:
// a certificate Prosody could not use must stop the start, not surface as clients failing later.
import { expect } from 'chai';
import net from 'node:net';
import tls from 'node:tls';
import path from 'node:path';
import { X509Certificate, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { xml, type XmppClient } from '@xmpp/client';
import { makeConfigDir, testConfig } from '../../test/config.js';
import { ScratchRedis, waitForPort } from '../../test/redis.js';
import { ConfigError, loadConfig } from '../../kernel/config/load.js';
import { c2sCertificate, renderProsodyConfig } from './prosody-config.js';
import { clientEndpoint } from './accounts.js';
import { ScratchProsody } from '../../test/scratch-prosody.js';
import { projectCertDir, projectCertificate, starttlsClient } from './xmpp-tls-client.js';

const HEADER = (domain: string) => `<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;

/** Everything the server wrote until `until` matches (or the time is up). */
async function readUntil(socket: net.Socket | tls.TLSSocket, until: RegExp, ms = 3000): Promise<string> {
  let seen = '';
  return new Promise((resolve) => {
    const done = () => (clearTimeout(timer), socket.off('data', onData), resolve(seen));
    const timer = setTimeout(done, ms);
    const onData = (d: Buffer) => ((seen += d.toString('utf8')), until.test(seen) && done());
    socket.on('data', onData);
  });
}

describe("chat: TLS on Prosody's client port", () => {
  const x = testConfig().main.xmpp;
  const service = { service: `xmpp://${x.host}:${x.port}`, domain: x.domain, username: x.serviceUser, password: x.servicePassword };
  const plain = (auth: (c: { username: string; password: string }, m: string) => Promise<void>) => auth({ username: x.serviceUser, password: x.servicePassword }, 'PLAIN');
  const started: XmppClient[] = [];
  after(async () => {
    for (const c of started) await c.stop().catch(() => undefined);
  });

  it('refuses a login before TLS: only STARTTLS (required) is offered, and PLAIN with the right password gets encryption-required', async () => {
    const socket = net.connect({ host: x.host, port: x.port });
    try {
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      socket.write(HEADER(x.domain));
      const features = await readUntil(socket, /<\/stream:features>/);
      expect(features).to.match(/<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required\/><\/starttls>/);
      expect(features, 'no SASL mechanism before TLS').to.not.include('mechanisms');
      // A client that ignores the features and sends a valid password in clear anyway.
      socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${x.serviceUser}\0${x.servicePassword}`).toString('base64')}</auth>`);
      const answer = await readUntil(socket, /<\/failure>|<success|<\/stream:error>/);
      expect(answer).to.include('<encryption-required/>');
      expect(answer).to.not.include('<success');
    } finally {
      socket.destroy();
    }
  });

  it("logs in over STARTTLS trusting the project's certificate, and refuses a server certificate it was not told to trust", async () => {
    const c = starttlsClient({ ...service, resource: `tls-${randomBytes(3).toString('hex')}`, credentials: plain } as Parameters<typeof starttlsClient>[0], projectCertificate(x));
    started.push(c);
    c.on('error', () => undefined);
    await c.start();
    expect((c as unknown as { socket: { secure: boolean } }).socket.secure).to.equal(true);
    const pong = await c.iqCaller.request(xml('iq', { type: 'get', to: x.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
    expect(pong.attrs.type).to.equal('result');

    // Verification is on: trusting some other CA, the handshake fails before any password is sent.
    const stranger = starttlsClient({ ...service, resource: 'stranger', credentials: plain } as Parameters<typeof starttlsClient>[0], tls.rootCertificates[0]!);
    stranger.on('error', () => undefined);
    started.push(stranger);
    const err = await stranger.start().then(() => null, (e: Error & { code?: string }) => e);
    await stranger.stop().catch(() => undefined);
    expect(err, 'an untrusted certificate is refused').to.not.equal(null);
    expect(`${err!.code} ${err!.message}`).to.match(/SELF_SIGNED|self-signed|unable to verify/i);
  });

  it('never falls back to plain text: a server that offers no STARTTLS is sent no password', async () => {
    let received = '';
    let answered = false;
    const fake = net.createServer((sock) =>
      sock.on('data', (d: Buffer) => {
        received += d.toString('utf8');
        if (answered || !received.includes('<stream:stream')) return;
        answered = true;
        sock.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' id='s1' from='${x.domain}'><stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>`);
      }),
    );
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as net.AddressInfo).port;
    const c = starttlsClient({ ...service, service: `xmpp://127.0.0.1:${port}`, resource: 'downgraded', credentials: plain } as Parameters<typeof starttlsClient>[0], projectCertificate(x));
    c.on('error', () => undefined);
    const err = await c.start().then(() => null, (e: Error) => e);
    await c.stop().catch(() => undefined);
    fake.close();
    expect(err?.message).to.match(/offers no STARTTLS/);
    expect(received).to.include('<stream:stream');
    expect(received).to.not.include('<auth').and.not.include(Buffer.from(`\0${x.serviceUser}\0${x.servicePassword}`).toString('base64'));
  });

  it('generates one certificate for the domain, the rooms and the uploads', () => {
    const cert = new X509Certificate(projectCertificate(x));
    expect(cert.subjectAltName).to.include(`DNS:${x.domain}`).and.to.include(`DNS:${x.mucDomain}`).and.to.include(`DNS:${x.uploadDomain}`);
    expect(cert.checkHost(x.domain)).to.equal(x.domain);
    expect(new Date(cert.validTo).getTime()).to.be.greaterThan(Date.now());
  });

  it('offers direct TLS on xmpp.directTlsPort: TLS from the first byte, then SASL (private Prosody)', async function () {
    this.timeout(30000);
    const p = await ScratchProsody.create({ ...x, directTlsPort: await ScratchRedis.freePort() });
    await p.start();
    await waitForPort(p.xmpp.directTlsPort!, 'prosody direct TLS');
    const socket = tls.connect({ host: x.host, port: p.xmpp.directTlsPort!, ca: projectCertificate(x), servername: x.domain });
    try {
      await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      expect(socket.authorized).to.equal(true);
      socket.write(HEADER(x.domain));
      const features = await readUntil(socket, /<\/stream:features>/);
      expect(features).to.include('<mechanism>PLAIN</mechanism>');
      expect(features).to.not.include('starttls');
    } finally {
      socket.destroy();
      await p.stop();
    }
  });

  describe('configuration', () => {
    const problems = (dir: string): string => {
      try {
        loadConfig(dir);
      } catch (err) {
        if (err instanceof ConfigError) return err.message;
        throw err;
      }
      return '';
    };

    it('refuses xmpp.tls naming a missing file, a file that is not PEM, or a key of another certificate, naming file and key', () => {
      const missing = makeConfigDir({ set: { 'switchboard.yaml:xmpp.tls': { certificate: 'tls/missing.crt', key: 'tls/missing.key' } } });
      expect(problems(missing)).to.include(`switchboard.yaml: xmpp.tls.certificate: ${path.join(missing, 'tls/missing.crt')} does not exist`);
      expect(problems(missing)).to.include(`switchboard.yaml: xmpp.tls.key: ${path.join(missing, 'tls/missing.key')} does not exist`);

      const garbage = makeConfigDir({ set: { 'switchboard.yaml:xmpp.tls': { certificate: 'garbage.crt', key: 'garbage.key' } } });
      writeFileSync(path.join(garbage, 'garbage.crt'), "-----BEGIN CERTIFICATE-----\n<script>alert('x')</script>\n-----END CERTIFICATE-----\n");
      writeFileSync(path.join(garbage, 'garbage.key'), Buffer.from([0xff, 0xfe, 0, 1, 2, 3]));
      expect(problems(garbage)).to.include(`xmpp.tls.certificate: ${path.join(garbage, 'garbage.crt')} is not a PEM certificate`);
      expect(problems(garbage)).to.include(`xmpp.tls.key: ${path.join(garbage, 'garbage.key')} is not a PEM private key`);

      const folder = makeConfigDir({ set: { 'switchboard.yaml:xmpp.tls': { certificate: '.', key: 'tls' } } });
      expect(problems(folder)).to.include(`xmpp.tls.certificate: ${folder} is a folder`);

      const mismatch = makeConfigDir({ set: { 'switchboard.yaml:xmpp.tls': { certificate: 'xmpp.crt', key: 'other.key' } } });
      writeFileSync(path.join(mismatch, 'xmpp.crt'), projectCertificate(x));
      writeFileSync(path.join(mismatch, 'other.key'), generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
      expect(problems(mismatch)).to.include(`xmpp.tls.key: ${path.join(mismatch, 'other.key')} is not the key of ${path.join(mismatch, 'xmpp.crt')}`);

      const clash = makeConfigDir({ set: { 'switchboard.yaml:xmpp.directTlsPort': x.port } });
      expect(problems(clash)).to.include('switchboard.yaml: xmpp.directTlsPort: must differ from port, httpPort and componentPort');
    });

    it("puts xmpp.tls (relative to the configuration folder) into Prosody's configuration; clientInterface opens the client ports only", () => {
      const dir = makeConfigDir({ set: { 'switchboard.yaml:xmpp.tls': { certificate: 'tls/xmpp.crt', key: 'tls/xmpp.key' }, 'switchboard.yaml:xmpp.clientInterface': '0.0.0.0', 'switchboard.yaml:xmpp.directTlsPort': 15999 } });
      mkdirSync(path.join(dir, 'tls'));
      const generated = c2sCertificate(x, projectCertDir());
      writeFileSync(path.join(dir, 'tls/xmpp.crt'), readFileSync(generated.certificate));
      writeFileSync(path.join(dir, 'tls/xmpp.key'), readFileSync(generated.key));
      const c = loadConfig(dir).main.xmpp;
      expect(c.tls).to.deep.equal({ certificate: path.join(dir, 'tls/xmpp.crt'), key: path.join(dir, 'tls/xmpp.key') });
      const lua = renderProsodyConfig(c, '/srv/prosody');
      expect(lua).to.include(`ssl = { certificate = "${path.join(dir, 'tls/xmpp.crt')}"; key = "${path.join(dir, 'tls/xmpp.key')}" }`);
      expect(lua).to.include('c2s_require_encryption = true').and.to.include('allow_unencrypted_plain_auth = false');
      expect(lua).to.include('c2s_interfaces = { "0.0.0.0" }').and.to.include('c2s_direct_tls_ports = { 15999 }').and.to.include('c2s_direct_tls_interfaces = { "0.0.0.0" }');
      // The relay's component port and the HTTP port stay on loopback.
      expect(lua).to.include('component_interfaces = { "127.0.0.1" }').and.to.include('http_interfaces = { "127.0.0.1" }');
      // A wildcard is no address to dial: clients are told the domain.
      expect(clientEndpoint(c)).to.deep.equal({ host: x.domain, port: x.port, tls: 'starttls', directTlsPort: 15999 });

      // Without xmpp.tls: the generated pair in the given folder, no direct TLS, loopback.
      const shipped = renderProsodyConfig(x, '/srv/prosody');
      expect(shipped).to.include(`ssl = { certificate = "/srv/prosody/certs/${x.domain}.crt"; key = "/srv/prosody/certs/${x.domain}.key" }`);
      expect(shipped).to.include(`c2s_interfaces = { "${x.host}" }`).and.not.to.include('c2s_direct_tls');
    });
  });
});
