// Preload for a benchmark's server processes: counts SQL statements and Redis commands by their
// text, so a run can say how many round trips one unit of work costs. Counts do not depend on how
// loaded the machine is, which makes them the figure to compare changes by (CPU time here does).
//
//   node --import ./bench/callbacks/count-roundtrips.mjs server/dist/cli.js start …
//
// On SIGUSR2 the process writes what it has counted so far to
// $SWITCHBOARD_ROUNDTRIPS_DIR/<pid>.<n>.json (n = 1, 2, …); the benchmark takes one snapshot when
// the measured window opens and one when it closes, and reports the difference.
import { createHash } from 'node:crypto';
import { writeFileSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import process from 'node:process';

// The packages are CommonJS: patched through require, they are the instances the server imports.
const require = createRequire(import.meta.url);

const sql = new Map();
const redis = new Map();
let redisWrites = 0; // round trips: a command on its own, or a whole pipeline / MULTI
const scriptNames = new Map(); // sha1 of a Lua script → the name it was defined under

/** One key per statement shape: column lists, literals and placeholder lists folded, whitespace collapsed. */
function shapeOf(text) {
  return text
    .replace(/\s+/g, ' ')
    .replace(/^SELECT (?:(?!\bFROM\b).){80,}? FROM /, 'SELECT … FROM ')
    .replace(/'(?:[^'\\]|\\.)*'/g, "'…'")
    .replace(/\b\d+\b/g, 'N')
    .replace(/\((?:\s*\?\s*,)+\s*\?\s*\)/g, '(?…)')
    .replace(/(?:\(\?…\)\s*,\s*)+\(\?…\)/g, '(?…)…')
    .trim()
    .slice(0, 400);
}

// With SWITCHBOARD_ROUNDTRIPS_CALLERS=n each key also names the first n of our own functions on its
// (async) stack: where a statement comes from, for finding repeats; costly, so off by default.
const callers = Number(process.env.SWITCHBOARD_ROUNDTRIPS_CALLERS ?? 0);
function callerOf() {
  const stack = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 60;
  Error.captureStackTrace(stack);
  Error.stackTraceLimit = limit;
  const ours = stack.stack.split('\n').filter((l) => l.includes('/server/dist/') || l.includes('/sip/dist/'));
  return ours.slice(0, callers).map((l) => l.trim().replace(/^at (async )?/, '').replace(/\(?file:\/\/\S*\/(server|sip)\/dist\//, '$1/').replace(/:\d+\)?$/, '')).join(' ← ');
}
const bump = (map, key) => {
  if (callers) key = `${key}  ⟵ ${callerOf()}`;
  map.set(key, (map.get(key) ?? 0) + 1);
};

// By file, past the packages' export maps: the same module instances the server loads.
const inPackage = (pkg, file) => path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
const base = require(inPackage('mysql2', 'lib/base/connection.js'));
const Connection = base.BaseConnection ?? base;
const query = Connection.prototype.query;
Connection.prototype.query = function (q, ...rest) {
  const text = typeof q === 'string' ? q : q && typeof q.sql === 'string' ? q.sql : '';
  bump(sql, shapeOf(text));
  return query.call(this, q, ...rest);
};
const execute = Connection.prototype.execute;
Connection.prototype.execute = function (q, ...rest) {
  const text = typeof q === 'string' ? q : q && typeof q.sql === 'string' ? q.sql : '';
  bump(sql, `execute: ${shapeOf(text)}`);
  return execute.call(this, q, ...rest);
};

const Redis = require('ioredis').default ?? require('ioredis');
const defineCommand = Redis.prototype.defineCommand;
Redis.prototype.defineCommand = function (name, definition) {
  scriptNames.set(createHash('sha1').update(definition.lua).digest('hex'), name);
  return defineCommand.call(this, name, definition);
};
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (command, stream) {
  const name = String(command.name).toLowerCase();
  let key = name;
  if (name === 'evalsha') key = `evalsha ${scriptNames.get(String(command.args[0])) ?? String(command.args[0]).slice(0, 8)}`;
  else if (name === 'publish') key = `publish ${String(command.args[0]).replace(/[0-9a-f]{32}/g, '…')}`;
  if (stream && stream.isPipeline) key = `(pipelined) ${key}`;
  else redisWrites++;
  bump(redis, key);
  return sendCommand.call(this, command, stream);
};
// A pipeline (or MULTI … EXEC) goes to the socket as one write.
const Pipeline = require(inPackage('ioredis', 'built/Pipeline.js')).default;
const exec = Pipeline.prototype.exec;
Pipeline.prototype.exec = function (...args) {
  redisWrites++;
  return exec.apply(this, args);
};

let snapshots = 0;
process.on('SIGUSR2', () => {
  const dir = process.env.SWITCHBOARD_ROUNDTRIPS_DIR;
  if (!dir) return;
  const file = path.join(dir, `${process.pid}.${++snapshots}.json`);
  const body = { sql: Object.fromEntries(sql), redis: Object.fromEntries(redis), redisWrites };
  // Written aside and renamed, so the reader never sees half a file.
  writeFileSync(`${file}.tmp`, JSON.stringify(body));
  renameSync(`${file}.tmp`, file);
});
