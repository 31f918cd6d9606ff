import { isDeepStrictEqual } from 'node:util';
import type { ConfigProblem } from './load.js';
import type { Config } from './schema.js';

/** What the running SIP side was set up with from the trunk; a reload cannot change it. */
const TRUNK_KEYS = ['id', 'host', 'port', 'transport', 'auth', 'callerId', 'contextHeaders', 'inboundHeaders', 'optionsPingSeconds'] as const;

/**
 * Settings a reload would change in the file but not in the running server: the SIP trunk calls
 * leave through (the engine, its registrations and its keepalive were set up with it at start).
 * The reload is refused naming each one, so "configuration reloaded" never claims what did not
 * happen; a restart applies them.
 */
export function notReloadable(running: Config, next: Config): ConfigProblem[] {
  if (!running.main.sip.enabled && !next.main.sip.enabled) return [];
  const problems: ConfigProblem[] = [];
  if (running.main.sip.enabled !== next.main.sip.enabled) problems.push({ file: 'switchboard.yaml', key: 'sip.enabled', problem: 'cannot change while Switchboard runs: restart to apply it' });
  const was = running.trunks[0]!;
  const now = next.trunks[0];
  if (!now) return problems;
  for (const key of TRUNK_KEYS) {
    if (!isDeepStrictEqual(was[key], now[key])) {
      problems.push({ file: 'trunks.yaml', key: `trunks.0.${key}`, problem: 'the SIP trunk in use cannot change while Switchboard runs: restart to apply it (the running configuration was kept)' });
    }
  }
  return problems;
}
