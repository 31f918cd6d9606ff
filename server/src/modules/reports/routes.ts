import type Router from '@koa/router';
import type { Context } from 'koa';
import { mount, SUPERVISORS, type RouteDeps } from '../../kernel/http/route.js';
import { agentReportQuery, callbackReportQuery, interactionReportQuery, rawListQuery } from './schema.js';
import { toCsv } from './csv.js';
import type { InteractionFigures } from '@switchboard/protocol';
import { FIGURES } from './figures.js';
import { CALLBACK_FIGURES } from './callbacks.js';
import type { ReportsService } from './service.js';

function sendCsv(ctx: Context, name: string, csv: string): void {
  ctx.set('Content-Type', 'text/csv; charset=utf-8');
  ctx.set('Content-Disposition', `attachment; filename="${name}"`);
  ctx.set('X-Content-Type-Options', 'nosniff');
  ctx.set('Cache-Control', 'private, no-store');
  ctx.body = csv;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);
const figures = (g: InteractionFigures) => FIGURES.map((f) => g[f]);
const AGENT_STATES = ['loggedIn', 'available', 'busy', 'wrapUp', 'rona', 'notReady'] as const;

export function reportsRoutes(router: Router, deps: RouteDeps, reports: ReportsService): void {
  const common = { tag: 'reports', access: SUPERVISORS, rateLimit: 'api' } as const;
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/interactions', query: interactionReportQuery,
    summary: 'Offered, answered, abandoned, unmanaged, transferred, service level and times (answer, handle, wrap-up, first response, resolution) per queue, channel, agent or website over a period, with a series by hour or day (supervisors, admins)',
    handler: async (_ctx, { query }) => reports.interactions(query),
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/interactions.csv', query: interactionReportQuery,
    summary: 'The same report as CSV: one line per group and a total line, or with `interval` one line per hour or day',
    handler: async (ctx, { query }) => {
      const r = await reports.interactions(query);
      if (query.interval) {
        const csv = toCsv([query.interval, ...FIGURES], (r.series ?? []).map((p) => [p.at, ...figures(p)]));
        return sendCsv(ctx, `interactions-by-${query.interval}-${query.from}-${query.to}.csv`, csv);
      }
      const csv = toCsv([query.groupBy, 'name', ...FIGURES], [...r.groups.map((g) => [g.key, g.name, ...figures(g)]), ['total', 'Total', ...figures(r.total)]]);
      sendCsv(ctx, `interactions-by-${query.groupBy}-${query.from}-${query.to}.csv`, csv);
    },
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/interactions/raw.csv', query: rawListQuery,
    summary: 'The interactions queued in the period, one line each, as CSV (supervisors, admins)',
    handler: async (ctx, { query }) => {
      const list = await reports.raw(query);
      const csv = toCsv(
        ['id', 'channel', 'direction', 'queue', 'website', 'state', 'agentId', 'disposition', 'unmanaged', 'timedOut', 'queuedAt', 'assignedAt', 'closedAt'],
        list.map((i) => [i.id, i.channel, i.direction, i.queueId, i.websiteId, i.state, i.assignedAgentId, i.dispositionId, i.unmanaged, i.timedOut, iso(i.queuedAt), iso(i.assignedAt), iso(i.closedAt)]),
      );
      sendCsv(ctx, `interactions-${query.from}-${query.to}.csv`, csv);
    },
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/interactions/distribution', query: rawListQuery,
    summary: 'How long the answered interactions of the period waited: a histogram of time to answer (bins up to 10, 20, 30, 45, 60, 90, 120, 180, 300, 600 s and longer), with the same filters (supervisors, admins)',
    handler: async (_ctx, { query }) => reports.answerDistribution(query),
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/interactions/distribution.csv', query: rawListQuery,
    summary: 'The time-to-answer histogram as CSV, one line per bin',
    handler: async (ctx, { query }) => {
      const r = await reports.answerDistribution(query);
      sendCsv(ctx, `time-to-answer-${query.from}-${query.to}.csv`, toCsv(['upToSeconds', 'answered'], r.bins.map((b) => [b.upTo ?? 'longer', b.count])));
    },
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/agents', query: agentReportQuery,
    summary: "Each agent's time by state (Available, Not ready per reason, Busy, Wrap-up, RONA) and occupancy over a period, from the state history (supervisors, admins)",
    handler: async (_ctx, { query }) => reports.agents(query),
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/agents.csv', query: agentReportQuery,
    summary: 'The agents report as CSV, one line per agent, a column per Not-ready reason',
    handler: async (ctx, { query }) => {
      const { agents } = await reports.agents(query);
      const reasons = [...new Set(agents.flatMap((a) => Object.keys(a.notReadyByReason)))].sort();
      const csv = toCsv(
        ['agentId', 'name', ...AGENT_STATES, ...reasons.map((r) => `notReady:${r || 'none'}`), 'occupancy'],
        agents.map((a) => [a.agentId, a.name, ...AGENT_STATES.map((s) => a[s]), ...reasons.map((r) => a.notReadyByReason[r] ?? 0), a.occupancy]),
      );
      sendCsv(ctx, `agents-${query.from}-${query.to}.csv`, csv);
    },
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/callbacks', query: callbackReportQuery,
    summary: 'Callbacks requested in the period per queue: reached at the first attempt, after retries, unreached, failed, cancelled, pending (supervisors, admins)',
    handler: async (_ctx, { query }) => reports.callbacks(query),
  });
  mount(router, deps, {
    ...common, method: 'get', path: '/api/reports/callbacks.csv', query: callbackReportQuery,
    summary: 'The callbacks report as CSV, one line per queue and a total line',
    handler: async (ctx, { query }) => {
      const r = await reports.callbacks(query);
      const csv = toCsv(['queue', 'name', ...CALLBACK_FIGURES], [...r.groups.map((g) => [g.key, g.name, ...CALLBACK_FIGURES.map((f) => g[f])]), ['total', 'Total', ...CALLBACK_FIGURES.map((f) => r.total[f])]]);
      sendCsv(ctx, `callbacks-${query.from}-${query.to}.csv`, csv);
    },
  });
}
