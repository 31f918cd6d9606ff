import type { DataSource } from 'typeorm';
import type { Config } from '../../kernel/config/schema.js';
import { createLogger } from '../../kernel/logger.js';
import { ReportsService } from './service.js';
import { ReportBuckets } from './buckets.js';
import { floorHour } from './hours.js';
import { ReportRefresh } from './refresh.js';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

function parse(name: string, v: string, end: boolean): Date {
  if (!DATE.test(v) && !TIME.test(v)) throw new Error(`--${name} must be a date (YYYY-MM-DD) or an ISO time with its offset, not "${v}"`);
  const t = Date.parse(v);
  if (Number.isNaN(t) || (DATE.test(v) && new Date(t).toISOString().slice(0, 10) !== v)) throw new Error(`--${name} is not a real date: "${v}"`);
  return new Date(end && DATE.test(v) ? t + 86_400_000 : t);
}

/** `switchboard reports rebuild [--from] [--to]`: the hours of [from, to) built again; what it did, in a sentence. */
export async function rebuildReports(db: DataSource, config: () => Config, fromArg?: string, toArg?: string): Promise<string> {
  const to = toArg ? parse('to', toArg, true) : new Date();
  let from: Date;
  if (fromArg) from = parse('from', fromArg, false);
  else {
    const [first] = await db.query('SELECT MIN(queuedAt) AS at FROM interactions');
    if (!first.at) return 'no interactions recorded: nothing to build';
    from = floorHour(first.at);
  }
  if (from >= to) throw new Error('--to must be after --from');
  const reports = new ReportsService(db, config);
  const buckets = new ReportBuckets(db, () => reports.thresholds());
  const started = Date.now();
  const hours = await buckets.rebuild(from, to);
  await new ReportRefresh({ db, log: createLogger('silent'), buckets }).rebuilt(from, to);
  return `rebuilt ${hours} hour(s) of report buckets from ${floorHour(from).toISOString()} in ${Math.round((Date.now() - started) / 1000)} s`;
}
