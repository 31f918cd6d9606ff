// A Kamailio proxy as the PBX stand-in's front (every SBC or proxy before a PBX record-routes):
// it takes requests addressed to it (Request-URI host and port), forwards them by number —
// extensions back to Switchboard, the rest to a sipp PBX — and, with `recordRoute`, stays on
// the path of every dialog it forwards. Each request it sees is logged on stderr, and `seen()`
// hands those lines over, so a test can tell which in-dialog requests went through the proxy.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForTcpListener, waitForUdpListener } from './services.js';

export interface ProxyRoute {
  /** A regular expression the Request-URI's user must match. */
  user: string;
  /** Where matching requests go: a SIP URI; `$rU` is the number dialled. */
  to: string;
}

export interface KamailioOptions {
  /** record_route() on every dialog-creating request. */
  recordRoute: boolean;
  /** First match wins; a number matching none is answered 404. */
  routes: ProxyRoute[];
}

/** One request as the proxy logged it. */
export interface ProxySighting {
  /** 'initial': out of dialog; 'routed': in-dialog, followed its Route (loose_route); 'direct': in-dialog without one. */
  kind: 'initial' | 'routed' | 'direct';
  method: string;
  cseq: number;
  callId: string;
  /** Source address:port. */
  source: string;
  ruri: string;
}

export interface Kamailio {
  port: number;
  /**
   * What it saw, once per request: copies (an ACK repeated for a 2xx retransmitted over UDP, a
   * retransmission that crossed the response) are left out.
   */
  seen(): ProxySighting[];
  /** Last lines of its log, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

function config(port: number, o: KamailioOptions): string {
  const routes = o.routes
    // Kamailio does not expand variables inside strings: "sip:$rU@h" becomes "sip:" + $rU + "@h".
    .map((r) => `  if ($rU =~ "${r.user}") { $ru = ${r.to.split('$rU').map((p) => `"${p}"`).join(' + $rU + ')}; route(RELAY); }`)
    .join('\n');
  return `#!KAMAILIO
debug=1
log_stderror=yes
log_prefix=""
children=1
tcp_children=1
auto_aliases=no
dns=no
rev_dns=no
use_dns_cache=off
enable_sctp=no
listen=udp:127.0.0.1:${port}
listen=tcp:127.0.0.1:${port}
mpath="${MODULES}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "siputils.so"
loadmodule "textops.so"
loadmodule "xlog.so"

request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  # A retransmission of a request in a transaction here is absorbed (and not logged twice).
  if (!is_method("ACK|CANCEL")) { t_check_trans(); }
  if (has_totag()) {
    if (loose_route()) {
      xlog("L_ALERT", "SBPROXY routed $rm $cs $ci $si:$sp $ru\n");
      route(RELAY);
    }
    xlog("L_ALERT", "SBPROXY direct $rm $cs $ci $si:$sp $ru\n");
    # Without record-routing it is on no route: what reaches it anyway goes on by its Request-URI.
    ${o.recordRoute ? '' : 'if (uri != myself) { route(RELAY); }'}
    # An ACK for a non-2xx final belongs to a transaction here; anything else without a Route
    # was meant for the peer's Contact, not for the proxy.
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not Here Without Route");
    exit;
  }
  xlog("L_ALERT", "SBPROXY initial $rm $cs $ci $si:$sp $ru\n");
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  # A proxy routes on the Request-URI: one not naming this proxy (its host and port) is not for it.
  if (uri != myself) { sl_send_reply("404", "Not Here: Request-URI Names Another Host Or Port"); exit; }
  if (is_method("OPTIONS|REGISTER") && $rU == $null) { sl_send_reply("200", "OK"); exit; }
  ${o.recordRoute ? 'if (is_method("INVITE|SUBSCRIBE|REFER")) { record_route(); }' : ''}
${routes}
  sl_send_reply("404", "No Such Number");
  exit;
}

route[RELAY] {
  if (!t_relay()) { sl_reply_error(); }
  exit;
}
`;
}

const LINE = /SBPROXY (initial|routed|direct) (\S+) (\d+) (\S+) (\S+) (\S+)/;

/** Starts Kamailio on a free port; resolves once it listens on UDP and TCP. */
export async function startKamailio(o: KamailioOptions): Promise<Kamailio> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sb-kamailio-'));
  writeFileSync(join(dir, 'kamailio.cfg'), config(port, o));
  const proc: ChildProcess = spawn('kamailio', [
    '-f', join(dir, 'kamailio.cfg'), '-DD', '-E', '-m', '32', '-M', '4',
    '-P', join(dir, 'kamailio.pid'), '-Y', dir, '-w', dir,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  proc.stderr!.on('data', (d: Buffer) => (text += d.toString('utf8')));
  const exited = new Promise<void>((resolve) => proc.once('close', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const died = exited.then(() => Promise.reject(new Error('kamailio exited')));
    await Promise.race([died, (async () => {
      await waitForUdpListener(port);
      await waitForTcpListener(port);
    })()]);
    died.catch(() => undefined);
  } catch (err) {
    await stop();
    throw new Error(`kamailio did not start: ${String(err)}\n${text.slice(-2000)}`, { cause: err });
  }
  return {
    port,
    seen: () => {
      const once = new Set<string>();
      return text.split('\n').flatMap((l) => {
        const m = LINE.exec(l);
        if (!m) return [];
        const s: ProxySighting = { kind: m[1] as ProxySighting['kind'], method: m[2]!, cseq: Number(m[3]), callId: m[4]!, source: m[5]!, ruri: m[6]! };
        const key = `${s.method} ${s.cseq} ${s.callId} ${s.source}`;
        if (once.has(key)) return [];
        once.add(key);
        return [s];
      });
    },
    log: () => text.slice(-3000),
    stop,
  };
}
