// A PBX stand-in for the desktop's end-to-end tests: Kamailio (Debian's package, installed by
// `scripts/services.sh tools`) as the trunk Switchboard sends widget calls to. A queue number is
// forwarded to an agent's extension back at Switchboard, as a PBX queue does when it picks that
// agent: the call then reaches the desktop's softphone the way a deployment's calls do
// (widget → Switchboard → PBX → Switchboard → JsSIP), media through rtpengine on both legs.
// Kamailio is a proxy: the SDP passes through as Switchboard wrote it. With `recordRoute` it
// stays on the path of every dialog (as an SBC in front of a PBX does), so ACKs, re-INVITEs,
// INFOs and BYEs go through it along the route set; without, in-dialog requests that reach it
// anyway are relayed to their Request-URI.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO } from './harness.ts';

const { waitForUdpListener } = await import(path.join(REPO, 'sip/dist/test/support/services.js'));

export interface Pbx {
  port: number;
  stop(): Promise<void>;
}

const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules/';

/** `forward`: dialled number → extension at Switchboard (127.0.0.1:`switchboardPort`, UDP). */
export async function startPbx(opts: { port: number; switchboardPort: number; forward: Record<string, string>; recordRoute?: boolean }): Promise<Pbx> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sb-e2e-pbx-'));
  const rules = Object.entries(opts.forward)
    .map(([number, ext]) => {
      if (!/^\d+$/.test(number) || !/^\d+$/.test(ext)) throw new Error(`numbers only: ${number} → ${ext}`);
      return `  if ($rU == "${number}") { $rU = "${ext}"; }`;
    })
    .join('\n');
  writeFileSync(
    path.join(dir, 'kamailio.cfg'),
    `#!KAMAILIO
debug=1
log_stderror=yes
children=1
listen=udp:127.0.0.1:${opts.port}
mpath="${MODULES}"
loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "siputils.so"
request_route {
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  # In-dialog requests go where their Request-URI says (RFC 3261 section 16): the far end's
  # Contact, here Switchboard itself. It sends them through us even with no Record-Route.
  if (has_totag()) { loose_route(); t_relay(); exit; }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
${opts.recordRoute ? '  if (is_method("INVITE|SUBSCRIBE|REFER")) { record_route(); }' : ''}
${rules}
  $rd = "127.0.0.1";
  $rp = ${opts.switchboardPort};
  t_relay();
}
`,
  );
  const proc: ChildProcess = spawn('kamailio', ['-f', path.join(dir, 'kamailio.cfg'), '-DD', '-E', '-w', dir, '-P', path.join(dir, 'kamailio.pid')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr?.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let listening = false;
  const exitedEarly = exited.then(() => {
    if (!listening) throw new Error(`kamailio exited (${proc.exitCode}) before listening on ${opts.port}:\n${log}`);
  });
  await Promise.race([waitForUdpListener(opts.port).then(() => void (listening = true)), exitedEarly]).catch((err: unknown) => {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  });
  return {
    port: opts.port,
    stop: async () => {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
