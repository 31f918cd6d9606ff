import type { InteractionFigures } from '@switchboard/protocol';
import type { Measure } from './measures.js';
import { percentileOf, type Totals } from './read.js';

export const FIGURES = [
  'offered', 'answered', 'abandoned', 'unmanaged', 'transferred', 'answeredWithinThreshold', 'serviceLevel',
  'timeToAnswerAvg', 'timeToAnswerP90', 'handleTimeAvg', 'handleTimeP90', 'wrapUpAvg', 'wrapUpP90',
  'abandonedAfterAvg', 'abandonedAfterP90', 'firstResponseAvg', 'firstResponseP90', 'resolutionAvg', 'resolutionP90',
  'rated', 'csatAvg', 'csatSatisfied',
] as const satisfies readonly (keyof InteractionFigures)[];

const NAMES: Record<Measure, string> = {
  toAnswer: 'timeToAnswer', handle: 'handleTime', abandonedAfter: 'abandonedAfter', wrapUp: 'wrapUp', firstResponse: 'firstResponse', resolution: 'resolution',
};

const round = (v: number) => Math.round(v * 1000) / 1000;
const num = (v: unknown) => (v === null || v === undefined ? null : round(Number(v)));
const count = (v: unknown) => Number(v ?? 0);

/** A row of interactionReportSql as figures; `total` picks the percentiles over everything. */
export function figuresOfRow(row: Record<string, unknown>, total: boolean): InteractionFigures {
  const offered = count(row.offered);
  const within = count(row.answeredWithinThreshold);
  const f: Record<string, number | null> = {
    offered,
    answered: count(row.answered),
    abandoned: count(row.abandoned),
    unmanaged: count(row.unmanaged),
    transferred: count(row.transferred),
    answeredWithinThreshold: within,
    serviceLevel: offered ? round(within / offered) : null,
    rated: count(row.rated),
    csatAvg: num(row.csatAvg),
    csatSatisfied: count(row.rated) ? round(count(row.ratedSatisfied) / count(row.rated)) : null,
  };
  for (const [m, name] of Object.entries(NAMES)) {
    f[`${name}Avg`] = num(row[`${m}Avg`]);
    f[`${name}P90`] = num(row[total ? `${m}P90All` : `${m}P90`]);
  }
  return Object.fromEntries(FIGURES.map((k) => [k, f[k]])) as unknown as InteractionFigures;
}

export const EMPTY_FIGURES: InteractionFigures = figuresOfRow({}, true);

/** A group's additive totals (buckets and recorded rows alike) as figures; times in seconds. */
export function figuresOfTotals(t: Totals): InteractionFigures {
  const s = t.sums;
  const f: Record<string, number | null> = {
    offered: s.offered,
    answered: s.answered,
    abandoned: s.abandoned,
    unmanaged: s.unmanaged,
    transferred: s.transferred,
    answeredWithinThreshold: s.answeredWithinThreshold,
    serviceLevel: s.offered ? round(s.answeredWithinThreshold / s.offered) : null,
    rated: s.rated,
    csatAvg: s.rated ? round(s.csatSum / s.rated) : null,
    csatSatisfied: s.rated ? round(s.ratedSatisfied / s.rated) : null,
  };
  for (const [m, name] of Object.entries(NAMES) as [Measure, string][]) {
    const n = s[`${m}Count`];
    f[`${name}Avg`] = n ? round(s[`${m}Ms`] / n / 1000) : null;
    f[`${name}P90`] = percentileOf(t.bins[m], 90);
  }
  return Object.fromEntries(FIGURES.map((k) => [k, f[k]])) as unknown as InteractionFigures;
}
