// The Reports view against a real server: a small known set made through the real APIs (one chat
// the visitor gave up on while nobody was available, one answered and ended), read by a supervisor
// as figures, charts and tables; the CSV downloaded from the view is the server's report; a plain
// agent can neither see nor open the view, and the server refuses them the data. A callback asked
// for and cancelled shows in the callbacks card.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, SCREENSHOTS, startServer, type E2eServer } from './harness.ts';
import { expectAccessible } from './axe.ts';

const { startChat, widget } = await import(path.join(REPO, 'server/dist/test/chat.js'));

const CHIARA = { username: 'rep-chiara', password: 'correct-horse-battery', name: 'Chiara Bianchi', role: 'agent' };
const SARA = { username: 'rep-sara', password: 'correct-horse-battery', name: 'Sara Conti', role: 'supervisor' };
const today = () => new Date().toISOString().slice(0, 10);

describe('reports view (a supervisor and an agent in Chromium, a real server)', function () {
  this.timeout(120_000);
  let server: E2eServer;
  let browser: Browser;
  let chiara: Page;
  let sara: Page;
  let queueId: string;
  let chiaraToken: string;
  let saraToken: string;
  const errors: string[] = [];

  const open = async (who: typeof SARA) => {
    // Report periods are UTC days: the browser's "today" must be the server's.
    const context = await browser.newContext({ locale: 'en-GB', timezoneId: 'UTC', viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(`${who.username}: ${e.message}`));
    page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, who);
    return page;
  };

  before(async () => {
    server = await startServer(alwaysOpen());
    const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
    const ended = async (id: string) => {
      for (let n = 0; ; n++) {
        const r = await api(server.url, 'GET', `/api/interactions/${id}`, undefined, admin);
        if (r.body.interaction.closedAt) return;
        if (n === 150) throw new Error(`not ended: ${JSON.stringify(r.body.interaction)}`);
        await new Promise((done) => setTimeout(done, 200));
      }
    };
    for (const a of [CHIARA, SARA]) {
      const r = await api(server.url, 'POST', '/api/agents', { ...a, skills: [{ skill: 'english', level: 8 }] }, admin);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
    }
    chiaraToken = await login(server.url, CHIARA.username, CHIARA.password);
    saraToken = await login(server.url, SARA.username, SARA.password);
    browser = await launchChromium();
    chiara = await open(CHIARA);

    // Chiara is logged in but Not ready, so the chat waits in the queue: the visitor gives up (abandoned).
    await chiara.locator('[data-test=state-current]').click();
    await chiara.locator('[data-test^=set-not-ready-]').first().click();
    await chiara.locator('[data-test=state-current][data-state=not-ready]').waitFor();
    const gaveUp = await startChat(server.url);
    expect((await widget(server.url, 'POST', `/chats/${gaveUp.interactionId}/end`, undefined, gaveUp.token)).status).to.equal(200);
    await ended(gaveUp.interactionId);

    // Chiara is available and answers the next one, which the visitor then ends (answered).
    await chiara.locator('[data-test=state-current]').click();
    await chiara.locator('[data-test=set-available]').click();
    await chiara.locator('[data-test=state-current][data-state=available]').waitFor();
    const answered = await startChat(server.url);
    await chiara.locator('[data-test=offer]').getByRole('button', { name: 'Accept' }).click();
    await chiara.locator('[data-test=chat-log]').waitFor();
    expect((await widget(server.url, 'POST', `/chats/${answered.interactionId}/end`, undefined, answered.token)).status).to.equal(200);
    await ended(answered.interactionId);
    const r = await api(server.url, 'GET', `/api/interactions/${answered.interactionId}`, undefined, admin);
    queueId = r.body.interaction.queueId;
    expect((await api(server.url, 'GET', `/api/interactions/${gaveUp.interactionId}`, undefined, admin)).body.interaction.queueId).to.equal(queueId);

    sara = await open(SARA);
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await dropTestDatabase();
  });
  afterEach(() => expect(errors, errors.join('\n')).to.deep.equal([]));

  it('keeps the reports from plain agents: no link, no view, 403 from the server', async () => {
    expect(await chiara.locator('[data-test=nav-reports]').count()).to.equal(0);
    await chiara.goto(server.url + '/reports');
    await chiara.locator('[data-test=connection][data-state=online]').waitFor();
    expect(new URL(chiara.url()).pathname).to.equal('/');
    expect(await chiara.locator('sb-reports-view').count()).to.equal(0);
    for (const route of ['/api/reports/interactions', '/api/reports/interactions.csv', '/api/reports/agents.csv', '/api/reports/callbacks', '/api/reports/callbacks.csv']) {
      const r = await api(server.url, 'GET', `${route}?from=${today()}&to=${today()}`, undefined, chiaraToken);
      expect(r.status, route).to.equal(403);
    }
  });

  it('shows a supervisor today’s figures: totals, the queue’s outcomes, the series and the agents’ time', async () => {
    await sara.locator('[data-test=nav-reports]').click();
    await sara.locator('[data-test=rep-preset-today]').click();
    await sara.locator('[data-test=rep-total-offered]', { hasText: /^2$/ }).waitFor();
    expect(await sara.locator('[data-test=rep-total-answered]').textContent()).to.equal('1');
    expect(await sara.locator('[data-test=rep-total-abandoned]').textContent()).to.equal('1');
    const row = sara.locator(`[data-test=rep-group-row][data-key="${queueId}"]`);
    const cell = (f: string) => row.locator(`[data-figure=${f}]`).textContent();
    expect([await cell('offered'), await cell('answered'), await cell('abandoned'), await cell('unmanaged')]).to.deep.equal(['2', '1', '1', '0']);
    // Today is shown by the hour: the hours of the two chats add up to them.
    expect(await sara.locator('[data-test=rep-interval]').inputValue()).to.equal('hour');
    const hours = await sara.locator('[data-test=rep-series] tbody tr').evaluateAll((rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent!.trim())));
    const sum = hours.reduce((acc, h) => acc.map((v, i) => v + Number(h[i])), [0, 0, 0]);
    expect(sum, JSON.stringify(hours)).to.deep.equal([2, 1, 1]);
    await sara.locator('[data-test=rep-agent-row]', { hasText: 'Chiara Bianchi' }).waitFor();
    for (const chart of ['series', 'outcomes', 'times', 'distribution', 'callbacks', 'agents']) await sara.locator(`[data-test=rep-chart-${chart}][data-ready]`).waitFor();
    await expectAccessible(sara, 'reports');
    await sara.screenshot({ path: path.join(SCREENSHOTS, 'reports-today.png'), fullPage: true });

    await sara.locator('[data-test=rep-group]').selectOption('channel');
    await sara.locator('[data-test=rep-group-row][data-key=chat] th', { hasText: 'Chat' }).waitFor();
    await sara.locator('[data-test=rep-preset-week]').click();
    await sara.locator('[data-test=rep-chart-outcomes][data-ready]').waitFor();
    await sara.screenshot({ path: path.join(SCREENSHOTS, 'reports-week-by-channel.png'), fullPage: true });
  });

  it('downloads the outcome table as CSV: the server’s report, with today’s figures', async () => {
    await sara.locator('[data-test=rep-preset-today]').click();
    await sara.locator('[data-test=rep-group]').selectOption('queue');
    await sara.locator(`[data-test=rep-group-row][data-key="${queueId}"]`).waitFor();
    const [download] = await Promise.all([sara.waitForEvent('download'), sara.locator('[data-test=rep-csv-groups]').click()]);
    expect(download.suggestedFilename()).to.equal(`interactions-by-queue-${today()}-${today()}.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    const fromApi = await api(server.url, 'GET', `/api/reports/interactions.csv?from=${today()}&to=${today()}&groupBy=queue`, undefined, saraToken);
    expect(fromApi.status).to.equal(200);
    expect(csv).to.equal(fromApi.body);
    const lines = csv.trim().split(/\r?\n/).map((l) => l.split(','));
    const header = lines[0]!;
    const col = (name: string) => header.indexOf(name);
    const total = lines.find((l) => l[0] === 'total')!;
    const queue = lines.find((l) => l[0] === queueId)!;
    for (const l of [total, queue]) expect([l[col('offered')], l[col('answered')], l[col('abandoned')], l[col('unmanaged')]]).to.deep.equal(['2', '1', '1', '0']);
  });

  it('narrows the report by channel and agent, shows how long the answered chat waited, and the CSV respects the filters', async () => {
    await sara.locator('[data-test=rep-preset-today]').click();
    await sara.locator('[data-test=rep-total-offered]', { hasText: /^2$/ }).waitFor();
    const waited = async () => (await sara.locator('[data-test=rep-distribution] [data-figure=count]').allTextContents()).reduce((a, v) => a + Number(v), 0);
    // One chat was answered: the histogram holds one wait, in the bin the server put it.
    expect(await waited()).to.equal(1);
    const fromApi = await api(server.url, 'GET', `/api/reports/interactions/distribution?from=${today()}&to=${today()}`, undefined, saraToken);
    const rows = await sara.locator('[data-test=rep-distribution] tbody tr').evaluateAll((trs) => trs.map((tr) => Number(tr.querySelector('td')!.textContent)));
    expect(rows).to.deep.equal(fromApi.body.bins.map((b: { count: number }) => b.count));

    await sara.locator('[data-test=rep-filter-channel]').selectOption('phone');
    await sara.locator('[data-test=rep-total-offered]', { hasText: /^0$/ }).waitFor();
    expect(await waited()).to.equal(0);
    await sara.locator('[data-test=rep-filter-channel]').selectOption('chat');
    await sara.locator('[data-test=rep-filter-agent]').selectOption({ label: CHIARA.name });
    // Chiara's: the chat she answered; the one given up on had no agent.
    await sara.locator('[data-test=rep-total-offered]', { hasText: /^1$/ }).waitFor();
    expect(await sara.locator('[data-test=rep-total-abandoned]').textContent()).to.equal('0');
    expect(await waited()).to.equal(1);
    await sara.locator('[data-test=rep-chart-distribution][data-ready]').waitFor();
    await sara.screenshot({ path: path.join(SCREENSHOTS, 'reports-filtered.png'), fullPage: true });

    const agentId = await sara.locator('[data-test=rep-filter-agent]').inputValue();
    const [download] = await Promise.all([sara.waitForEvent('download'), sara.locator('[data-test=rep-csv-groups]').click()]);
    const csv = await readFile((await download.path())!, 'utf8');
    const filtered = await api(server.url, 'GET', `/api/reports/interactions.csv?from=${today()}&to=${today()}&channel=chat&agent=${agentId}&groupBy=queue`, undefined, saraToken);
    expect(csv).to.equal(filtered.body);
    const lines = csv.trim().split(/\r?\n/).map((l) => l.split(','));
    const col = (name: string) => lines[0]!.indexOf(name);
    const total = lines.find((l) => l[0] === 'total')!;
    expect([total[col('offered')], total[col('answered')], total[col('abandoned')]]).to.deep.equal(['1', '1', '0']);

    await sara.locator('[data-test=rep-filter-agent]').selectOption('');
    await sara.locator('[data-test=rep-filter-channel]').selectOption('');
    await sara.locator('[data-test=rep-total-offered]', { hasText: /^2$/ }).waitFor();
  });

  it('counts a callback the visitor asked for and cancelled in the callbacks card, and downloads it as the server’s CSV', async () => {
    // Last, so the callback's own interaction does not change the figures above.
    const slots = await widget(server.url, 'GET', '/callbacks/slots');
    expect(slots.body.slots.length, JSON.stringify(slots.body)).to.be.greaterThan(2);
    const asked = await widget(server.url, 'POST', '/callbacks', { fields: { phone: '+39 06 7070 1111' }, slot: slots.body.slots[2].start });
    expect(asked.status, JSON.stringify(asked.body)).to.equal(201);
    expect((await widget(server.url, 'POST', `/callbacks/${asked.body.callbackId}/cancel`)).status).to.equal(200);
    await sara.locator('[data-test=rep-preset-week]').click();
    await sara.locator('[data-test=rep-preset-today]').click();
    await sara.locator('[data-test=rep-callback-total] [data-figure=requested]', { hasText: /^1$/ }).waitFor();
    const row = sara.locator('[data-test=rep-callback-row]');
    expect(await row.count()).to.equal(1);
    const figures = ['requested', 'reachedFirstAttempt', 'reachedAfterRetries', 'unreached', 'failed', 'cancelled', 'pending'];
    expect(await Promise.all(figures.map((f) => row.locator(`[data-figure=${f}]`).textContent()))).to.deep.equal(['1', '0', '0', '0', '0', '1', '0']);
    const [download] = await Promise.all([sara.waitForEvent('download'), sara.locator('[data-test=rep-csv-callbacks]').click()]);
    expect(download.suggestedFilename()).to.equal(`callbacks-${today()}-${today()}.csv`);
    const csv = await readFile((await download.path())!, 'utf8');
    const fromApi = await api(server.url, 'GET', `/api/reports/callbacks.csv?from=${today()}&to=${today()}`, undefined, saraToken);
    expect(fromApi.status).to.equal(200);
    expect(csv).to.equal(fromApi.body);
    const total = csv.trim().split(/\r?\n/).map((l) => l.split(',')).find((l) => l[0] === 'total')!;
    expect(total.slice(2)).to.deep.equal(['1', '0', '0', '0', '0', '1', '0']);
  });
});
