// @xmpp/client logged in over Prosody's client port, which accepts nothing before TLS, trusting a
// given certificate (the self-signed one scripts/services.sh generates). For tests and benchmarks:
// Switchboard itself never uses the client port (its relay is a component).
//
// @xmpp/starttls upgrades with `tls.connect({ socket, host })` and takes no TLS options, so a
// private CA cannot reach it; trusting one process-wide (NODE_EXTRA_CA_CERTS, or turning
// verification off) is what we refuse to do. Instead this client's transport negotiates STARTTLS
// itself, before @xmpp/client sees the stream, and hands it a socket that is already TLS and was
// verified against `ca` and the domain. @xmpp/client then opens its stream as over direct TLS.
import net from 'node:net';
import tls from 'node:tls';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { client, type XmppClient } from '@xmpp/client';
import type { SwitchboardFile } from '../../kernel/config/schema.js';
import { c2sCertificate } from './prosody-config.js';

const STREAMS = 'http://etherx.jabber.org/streams';
const TLS_NS = 'urn:ietf:params:xml:ns:xmpp-tls';

/** Where scripts/services.sh keeps the project's Prosody's self-signed certificate. */
export function projectCertDir(): string {
  const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
  return path.join(process.env.SWITCHBOARD_RUN_DIR ?? path.join(repo, '.run'), 'prosody', 'certs');
}

/** The certificate the project's Prosody offers to clients: the one to trust. */
export function projectCertificate(xmpp: SwitchboardFile['xmpp']): string {
  return readCertificate(c2sCertificate(xmpp, projectCertDir()).certificate);
}

export function readCertificate(file: string): string {
  if (!existsSync(file)) throw new Error(`no XMPP certificate at ${file}: start the services with scripts/services.sh start`);
  return readFileSync(file, 'utf8');
}

type Options = Parameters<typeof client>[0] & { credentials?: unknown };
type Transport = { prototype: { socketParameters(service: string): unknown; Socket: new () => TlsSocketLike } };
interface TlsSocketLike {
  _attachSocket(socket: tls.TLSSocket): void;
  emit(event: string, ...args: unknown[]): boolean;
}

/**
 * An @xmpp/client for `xmpp://host:port` that requires STARTTLS and verifies the server's
 * certificate against `ca` for `domain` (options.domain). No fallback to plain text.
 */
export function starttlsClient(options: Options, ca: string | Buffer): XmppClient {
  const xmpp = client(options as Parameters<typeof client>[0]) as XmppClient & { transports: Transport[] };
  const domain = options.domain;
  // @xmpp/tls's transport (xmpps://): its socket class and stream handling are what a secured
  // stream needs; ours differs only in how the socket gets secured.
  const Direct = xmpp.transports.find((T) => T.prototype.socketParameters('xmpps://probe:1') !== undefined);
  if (!Direct) throw new Error('@xmpp/client has no TLS transport');
  class StarttlsSocket extends Direct.prototype.Socket {
    connect({ host, port }: { host: string; port: number }): void {
      const raw = net.connect({ host, port });
      let seen = '';
      let asked = false;
      let over = false;
      const fail = (err: Error) => {
        if (over) return;
        over = true;
        raw.destroy();
        this.emit('error', err);
      };
      const closed = () => fail(new Error(`${domain} closed the connection before TLS`));
      const onData = (d: Buffer) => {
        seen += d.toString('utf8');
        if (/<stream:error[\s>]/.test(seen)) return fail(new Error(`${domain} ended the stream: ${seen.slice(seen.indexOf('<stream:error'))}`));
        if (!asked) {
          if (!/<\/(stream:)?features>/.test(seen)) return;
          if (!/<starttls[\s/>]/.test(seen)) return fail(new Error(`${domain} offers no STARTTLS`));
          asked = true;
          seen = '';
          raw.write(`<starttls xmlns='${TLS_NS}'/>`);
          return;
        }
        if (/<failure[\s/>]/.test(seen)) return fail(new Error(`${domain} refused STARTTLS`));
        if (/<proceed[\s/>]/.test(seen)) {
          over = true;
          raw.off('data', onData);
          raw.off('error', fail);
          raw.off('close', closed);
          // The certificate must chain to `ca` and name the domain (not the address dialled).
          this._attachSocket(tls.connect({ socket: raw, ca, servername: domain }));
        }
      };
      raw.on('data', onData);
      raw.on('error', fail);
      raw.on('close', closed);
      raw.once('connect', () => raw.write(`<?xml version='1.0'?><stream:stream to='${domain}' version='1.0' xmlns='jabber:client' xmlns:stream='${STREAMS}'>`));
    }
  }
  class Starttls extends (Direct as unknown as new () => object) {
    socketParameters(service: string) {
      const u = new URL(service);
      return u.protocol === 'xmpp:' ? { host: u.hostname, port: Number(u.port) || 5222 } : undefined;
    }
  }
  (Starttls.prototype as unknown as { Socket: unknown }).Socket = StarttlsSocket;
  // Tried first: an xmpp:// service never reaches the plain TCP transport.
  xmpp.transports.unshift(Starttls as unknown as Transport);
  return xmpp;
}
