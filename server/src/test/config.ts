import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseDocument } from 'yaml';
import { REPO, RUN_ID, TEST_DB } from './env.js';
import { loadConfig } from '../kernel/config/load.js';
import type { Config } from '../kernel/config/schema.js';

/** Sets `a.b.c` in a YAML file of a config folder, keeping comments. */
export function setYaml(dir: string, file: string, key: string, value: unknown): void {
  const p = path.join(dir, file);
  const doc = parseDocument(readFileSync(p, 'utf8'));
  const keys = key.split('.').map((k) => (/^\d+$/.test(k) ? Number(k) : k));
  if (value === undefined) doc.deleteIn(keys);
  else doc.setIn(keys, value);
  writeFileSync(p, doc.toString());
}

export interface TestConfigOptions {
  /** key (file:dotted.path) → value, e.g. { 'switchboard.yaml:redis.port': 6390 } */
  set?: Record<string, unknown>;
  redisPrefix?: string;
}

/** A copy of the shipped example configuration, pointed at this run's test database. */
export function makeConfigDir(opts: TestConfigOptions = {}): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sb-config-'));
  cpSync(path.join(REPO, 'config'), dir, { recursive: true });
  const base: Record<string, unknown> = {
    'switchboard.yaml:server.port': 0,
    // Many servers run at once in tests: SIP listens on free ports, and only where a test asks for it.
    'switchboard.yaml:sip.enabled': false,
    'switchboard.yaml:sip.udpPort': 0,
    'switchboard.yaml:sip.tcpPort': 0,
    'switchboard.yaml:sip.wsPort': 0,
    'switchboard.yaml:database.name': TEST_DB,
    'switchboard.yaml:redis.keyPrefix': opts.redisPrefix ?? `sbtest:${RUN_ID}:`,
    'switchboard.yaml:logging.level': 'silent',
    'switchboard.yaml:storage.uploadsDir': path.join(dir, 'uploads'),
    // Every test server reading the shared support mailbox would take each other's mail: a test
    // that reads mail turns this on with a mailbox of its own.
    'switchboard.yaml:imap.enabled': false,
    // Tests assert on behaviour, not on limits; the rate-limit test lowers these itself.
    'switchboard.yaml:security.rateLimits.loginPerMinute': 1000,
    'switchboard.yaml:security.rateLimits.apiPerMinute': 10000,
    'switchboard.yaml:security.rateLimits.widgetPerMinute': 10000,
    'switchboard.yaml:security.rateLimits.agentSocketCommandsPerMinute': 10000,
    'switchboard.yaml:security.rateLimits.widgetSocketCommandsPerMinute': 10000,
  };
  for (const [k, v] of Object.entries({ ...base, ...opts.set })) {
    const [file, key] = k.split(':') as [string, string];
    setYaml(dir, file, key, v);
  }
  return dir;
}

export function testConfig(opts: TestConfigOptions = {}): Config {
  return loadConfig(makeConfigDir(opts));
}
