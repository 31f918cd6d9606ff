import { TestBed } from '@angular/core/testing';
import { settle, setUp, text } from '../../testing/helpers';
import type { AgentList, AgentReport, AnswerDistribution, CallbackFigures, CallbackReport, InteractionFigures, InteractionReport, QueueStatsList } from '@switchboard/protocol';
import { presetPeriod, seconds } from './report-models';
import { ReportsView } from './reports-view';

const XSS = '<img src=x onerror="window.__pwned=1">';
const none: InteractionFigures = {
  offered: 0, answered: 0, abandoned: 0, unmanaged: 0, transferred: 0, answeredWithinThreshold: 0, serviceLevel: null,
  timeToAnswerAvg: null, timeToAnswerP90: null, handleTimeAvg: null, handleTimeP90: null, wrapUpAvg: null, wrapUpP90: null,
  abandonedAfterAvg: null, abandonedAfterP90: null, firstResponseAvg: null, firstResponseP90: null, resolutionAvg: null, resolutionP90: null,
  rated: 0, csatAvg: null, csatSatisfied: null,
};
const sales = { ...none, offered: 3, answered: 2, abandoned: 1, answeredWithinThreshold: 1, serviceLevel: 0.333, timeToAnswerAvg: 15, timeToAnswerP90: 25, handleTimeAvg: 125, rated: 2, csatAvg: 3.5, csatSatisfied: 0.5 };
const report: InteractionReport = {
  from: '2026-03-01T00:00:00.000Z',
  to: '2026-03-03T00:00:00.000Z',
  groups: [{ key: 'sales', name: XSS, ...sales }],
  total: sales,
  series: [{ at: '2026-03-01T00:00:00.000Z', ...sales }, { at: '2026-03-02T00:00:00.000Z', ...none }],
};
const agents: AgentReport = {
  from: report.from, to: report.to,
  agents: [{ agentId: 'a1', name: 'Ada', loggedIn: 3600, available: 1800, busy: 1200, wrapUp: 600, rona: 0, notReady: 0, notReadyByReason: {}, occupancy: 0.5 }],
};

const support: CallbackFigures = { requested: 7, reachedFirstAttempt: 2, reachedAfterRetries: 1, unreached: 1, failed: 1, cancelled: 1, pending: 1 };
const callbacks: CallbackReport = { from: report.from, to: report.to, groups: [{ key: 'support', name: XSS, ...support }], total: support };
const UP_TO = [10, 20, 30, 45, 60, 90, 120, 180, 300, 600, null];
const distribution: AnswerDistribution = { from: report.from, to: report.to, bins: UP_TO.map((upTo) => ({ upTo, count: upTo === 10 ? 1 : upTo === 30 ? 2 : upTo === null ? 1 : 0 })) };
const websites: InteractionReport = { ...report, groups: [{ key: 'shop', name: XSS, ...sales }, { key: '', name: '', ...none }] };
const queues = { queues: [{ queueId: 'sales', name: { en: 'Sales', it: 'Vendite' }, channel: 'chat' }, { queueId: 'care', name: 'Care', channel: 'phone' }] } as unknown as QueueStatsList;
const agentList = { agents: [{ id: 'b2', name: 'Bruno' }, { id: 'a1', name: 'Ada' }] } as unknown as AgentList;
const answer = (url: string) =>
  url.startsWith('/api/routing/queues') ? queues
  : url.startsWith('/api/agents') ? agentList
  : url.includes('distribution') ? distribution
  : url.includes('groupBy=website') ? websites
  : url.includes('callbacks') ? callbacks : url.includes('agents') ? agents : report;
/** Answers every request pending now, as the server would. */
const flushAll = (http: ReturnType<typeof setUp>) => http.match(() => true).forEach((r) => r.flush(answer(r.request.url)));

describe('ReportsView', () => {
  it('asks for the last 7 days by queue and day, and shows totals, the table behind each chart and CSV links', async () => {
    const http = setUp();
    const fixture = TestBed.createComponent(ReportsView);
    const { from, to } = presetPeriod('week', new Date());
    http.expectOne('/api/routing/queues').flush(queues);
    http.expectOne('/api/agents').flush(agentList);
    http.expectOne(`/api/reports/interactions?from=${from}&to=${to}&groupBy=queue&interval=day`).flush(report);
    http.expectOne(`/api/reports/agents?from=${from}&to=${to}`).flush(agents);
    http.expectOne(`/api/reports/callbacks?from=${from}&to=${to}`).flush(callbacks);
    http.expectOne(`/api/reports/interactions/distribution?from=${from}&to=${to}`).flush(distribution);
    http.expectOne(`/api/reports/interactions?from=${from}&to=${to}&groupBy=website`).flush(websites);
    await settle();
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    expect(text(el.querySelector('[data-test=rep-total-offered]'))).toBe('3');
    expect(['rated', 'csatAvg', 'csatSatisfied'].map((f) => text(el.querySelector(`[data-test=rep-total-${f}]`)))).toEqual(['2', '3.5', '50 %']);
    expect(text(el.querySelector('[data-test=rep-total-serviceLevel]'))).toBe('33.3 %');
    const row = el.querySelector('[data-test=rep-group-row][data-key=sales]')!;
    expect(text(row.querySelector('th'))).toBe(XSS);
    expect(el.querySelector('img')).toBeNull();
    expect(['offered', 'answered', 'abandoned', 'unmanaged', 'handleTimeAvg'].map((f) => text(row.querySelector(`[data-figure=${f}]`)))).toEqual(['3', '2', '1', '0', '2 min 05 s']);
    expect(['rated', 'csatAvg', 'csatSatisfied'].map((f) => text(row.querySelector(`[data-figure=${f}]`)))).toEqual(['2', '3.5', '50 %']);
    expect([...el.querySelectorAll('[data-test=rep-series] tbody tr')].map((tr) => text(tr.querySelector('td:last-child')))).toEqual(['3.5', '—']);
    const cb = el.querySelector('[data-test=rep-callback-row][data-key=support]')!;
    expect(text(cb.querySelector('th'))).toBe(XSS);
    expect(['requested', 'reachedFirstAttempt', 'reachedAfterRetries', 'unreached', 'failed', 'cancelled', 'pending'].map((f) => text(cb.querySelector(`[data-figure=${f}]`)))).toEqual(['7', '2', '1', '1', '1', '1', '1']);
    expect(text(el.querySelector('[data-test=rep-callback-total] [data-figure=requested]'))).toBe('7');
    expect(el.querySelector('[data-test=rep-csv-callbacks]')!.getAttribute('href')).toBe(`/api/reports/callbacks.csv?from=${from}&to=${to}`);
    expect(el.querySelectorAll('[data-test=rep-series] tbody tr')).toHaveLength(2);
    expect([...el.querySelectorAll('[data-test=rep-times] [data-time=timeToAnswer] > *')].map(text)).toEqual(['Time to answer', '15 s', '25 s']);
    expect(text(el.querySelector('[data-test=rep-agent-row] [data-figure=occupancy]'))).toBe('50 %');
    expect(el.querySelector('[data-test=rep-csv-groups]')!.getAttribute('href')).toBe(`/api/reports/interactions.csv?from=${from}&to=${to}&groupBy=queue`);
    expect(el.querySelector('[data-test=rep-csv-series]')!.getAttribute('href')).toBe(`/api/reports/interactions.csv?from=${from}&to=${to}&groupBy=queue&interval=day`);
    expect(el.querySelector('[data-test=rep-csv-agents]')!.getAttribute('href')).toBe(`/api/reports/agents.csv?from=${from}&to=${to}`);
    // Chart.js is loaded on demand and draws each chart on its canvas.
    // Time to answer as a histogram, with the table behind it.
    expect([...el.querySelectorAll('[data-test=rep-distribution] tbody tr')].map((tr) => [text(tr.querySelector('th')), text(tr.querySelector('td'))])).toEqual([
      ['≤ 10 s', '1'], ['≤ 20 s', '0'], ['≤ 30 s', '2'], ['≤ 45 s', '0'], ['≤ 1 min', '0'], ['≤ 1.5 min', '0'], ['≤ 2 min', '0'],
      ['≤ 3 min', '0'], ['≤ 5 min', '0'], ['≤ 10 min', '0'], ['> 10 min', '1'],
    ]);
    expect(el.querySelector('[data-test=rep-csv-distribution]')!.getAttribute('href')).toBe(`/api/reports/interactions/distribution.csv?from=${from}&to=${to}`);
    // The filters offer every queue and agent (by name) and the websites of the period.
    const options = (f: string) => [...el.querySelectorAll(`[data-test=rep-filter-${f}] option`)].map((o) => [(o as HTMLOptionElement).value, text(o)]);
    expect(options('queue')).toEqual([['', 'All'], ['care', 'Care'], ['sales', 'Sales']]);
    expect(options('agent')).toEqual([['', 'All'], ['a1', 'Ada'], ['b2', 'Bruno']]);
    expect(options('website')).toEqual([['', 'All'], ['shop', XSS]]);
    expect(options('channel').map(([v]) => v)).toEqual(['', 'phone', 'video', 'chat', 'callback', 'mail']);
    await expect.poll(() => el.querySelectorAll('sb-chart[data-ready]').length, { timeout: 10_000 }).toBe(6);
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    http.verify();
  });

  it('asks again by the hour for yesterday, and by channel with channel names in the agent’s language', async () => {
    const http = setUp();
    const fixture = TestBed.createComponent(ReportsView);
    flushAll(http);
    await settle();
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    el.querySelector<HTMLButtonElement>('[data-test=rep-preset-yesterday]')!.click();
    const y = presetPeriod('yesterday', new Date());
    http.expectOne(`/api/reports/interactions?from=${y.from}&to=${y.to}&groupBy=queue&interval=hour`).flush(report);
    http.expectOne(`/api/reports/agents?from=${y.from}&to=${y.to}`).flush(agents);
    http.expectOne(`/api/reports/callbacks?from=${y.from}&to=${y.to}`).flush(callbacks);
    flushAll(http);
    await settle();
    const group = el.querySelector<HTMLSelectElement>('[data-test=rep-group]')!;
    group.value = 'channel';
    group.dispatchEvent(new Event('change'));
    http.expectOne(`/api/reports/interactions?from=${y.from}&to=${y.to}&groupBy=channel&interval=hour`).flush({ ...report, groups: [{ key: 'chat', name: 'chat', ...sales }] });
    http.expectOne(`/api/reports/agents?from=${y.from}&to=${y.to}`).flush(agents);
    http.expectOne(`/api/reports/callbacks?from=${y.from}&to=${y.to}`).flush(callbacks);
    flushAll(http);
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=rep-group-row][data-key=chat] th'))).toBe('Chat');
    http.verify();
  });

  it('sends the chosen queue, channel, agent and website to the server, each route the ones it takes, and the CSV links carry them', async () => {
    const http = setUp();
    const fixture = TestBed.createComponent(ReportsView);
    flushAll(http);
    await settle();
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    const { from, to } = presetPeriod('week', new Date());
    const choose = async (f: string, value: string) => {
      const select = el.querySelector<HTMLSelectElement>(`[data-test=rep-filter-${f}]`)!;
      select.value = value;
      select.dispatchEvent(new Event('change'));
      const asked = http.match(() => true);
      const urls = asked.map((r) => r.request.urlWithParams);
      asked.forEach((r) => r.flush(answer(r.request.url)));
      await settle();
      await fixture.whenStable();
      return urls;
    };
    await choose('queue', 'sales');
    await choose('channel', 'chat');
    await choose('website', 'shop');
    const urls = await choose('agent', 'a1');
    const all = `from=${from}&to=${to}&queue=sales&channel=chat&agent=a1&website=shop`;
    expect(urls).toEqual([
      `/api/reports/interactions?${all}&groupBy=queue&interval=day`,
      `/api/reports/agents?from=${from}&to=${to}&agent=a1`,
      `/api/reports/callbacks?from=${from}&to=${to}&queue=sales&website=shop`,
      `/api/reports/interactions/distribution?${all}`,
      `/api/reports/interactions?from=${from}&to=${to}&groupBy=website`,
    ]);
    const href = (t: string) => el.querySelector(`[data-test=${t}]`)!.getAttribute('href');
    expect(href('rep-csv-groups')).toBe(`/api/reports/interactions.csv?${all}&groupBy=queue`);
    expect(href('rep-csv-series')).toBe(`/api/reports/interactions.csv?${all}&groupBy=queue&interval=day`);
    expect(href('rep-csv-raw')).toBe(`/api/reports/interactions/raw.csv?${all}`);
    expect(href('rep-csv-distribution')).toBe(`/api/reports/interactions/distribution.csv?${all}`);
    expect(href('rep-csv-agents')).toBe(`/api/reports/agents.csv?from=${from}&to=${to}&agent=a1`);
    expect(href('rep-csv-callbacks')).toBe(`/api/reports/callbacks.csv?from=${from}&to=${to}&queue=sales&website=shop`);
    expect(el.querySelector<HTMLSelectElement>('[data-test=rep-filter-queue]')!.value).toBe('sales');
    // Back to every queue: the parameter goes.
    const back = await choose('queue', '');
    expect(back[0]).toBe(`/api/reports/interactions?from=${from}&to=${to}&channel=chat&agent=a1&website=shop&groupBy=queue&interval=day`);
    http.verify();
  });

  it('says why when the server refuses the period', async () => {
    const http = setUp();
    const fixture = TestBed.createComponent(ReportsView);
    http.match(() => true).forEach((r) => r.flush({ error: { code: 'validation_failed', message: 'to: must be after from' } }, { status: 400, statusText: 'Bad Request' }));
    await settle();
    await fixture.whenStable();
    expect(text(fixture.nativeElement.querySelector('[data-test=rep-error]'))).toBe('to: must be after from');
  });
});

describe('report figures', () => {
  it('writes seconds for people and the presets as dates', () => {
    expect([seconds(null), seconds(12.4), seconds(185), seconds(3720)]).toEqual(['—', '12 s', '3 min 05 s', '1 h 02 min']);
    const now = new Date(2026, 2, 3, 10, 0);
    expect(presetPeriod('today', now)).toEqual({ from: '2026-03-03', to: '2026-03-03' });
    expect(presetPeriod('yesterday', now)).toEqual({ from: '2026-03-02', to: '2026-03-02' });
    expect(presetPeriod('week', now)).toEqual({ from: '2026-02-25', to: '2026-03-03' });
    expect(presetPeriod('month', now)).toEqual({ from: '2026-03-01', to: '2026-03-03' });
  });
});
