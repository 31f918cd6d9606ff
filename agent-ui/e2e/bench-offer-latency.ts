// Benchmark (not a test): time from the routing decision to the offer on the agent's screen,
// through the whole chain — routing script in Redis, event bus, WebSocket, WorkStore, Angular
// render — in Debian's Chromium against a real server. The routing decision time is the offer's
// `expiresAt` minus the queue's offer timeout (same machine, same clock); "shown" is the first
// animation frame after the card enters the DOM. Prints JSON; results go to docs/benchmarks.md.
//   node agent-ui/e2e/bench-offer-latency.ts [rounds]
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, startServer } from './harness.ts';

const ROUNDS = Number(process.argv[2] ?? 30);
const TIMEOUT_S = 30;

const server = await startServer({ ...alwaysOpen(), 'queues.yaml:queues.0.offerTimeoutSeconds': TIMEOUT_S, 'queues.yaml:queues.0.autoNotReadyAfterMissed': undefined });
const browser = await launchChromium();
try {
  const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
  const agent = { username: 'bench', password: 'correct-horse-battery', name: 'Bench Agent' };
  await api(server.url, 'POST', '/api/agents', { ...agent, role: 'agent', skills: [{ skill: 'english', level: 9 }] }, admin);
  const page = await (await browser.newContext({ locale: 'en-GB' })).newPage();
  await page.addInitScript(() => {
    const w = window as unknown as { __shown: Record<string, number> };
    w.__shown = {};
    new MutationObserver((records) => {
      for (const r of records)
        for (const n of r.addedNodes) {
          const card = n instanceof Element ? (n.matches('[data-offer]') ? n : n.querySelector('[data-offer]')) : null;
          const id = card?.getAttribute('data-offer');
          if (id && !w.__shown[id]) requestAnimationFrame(() => (w.__shown[id] = Date.now()));
        }
    }).observe(document, { subtree: true, childList: true });
  });
  await logInOnScreen(page, server.url, agent);
  await api(server.url, 'PUT', '/api/agents/me/state', { state: 'available' }, await login(server.url, agent.username, agent.password));

  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const r = await api(server.url, 'POST', '/api/routing/interactions', { channel: 'chat', queueId: 'support-chat', subject: `bench ${i}` }, admin);
    const card = page.locator('[data-offer]');
    await card.waitFor();
    const offerId = (await card.getAttribute('data-offer'))!;
    const mine = await page.evaluate(() => fetch('/api/interactions/mine').then((x) => x.json()));
    const offer = (mine.offers ?? [mine.offer]).find((o: { offerId: string } | null) => o?.offerId === offerId);
    const shownAt = await page.waitForFunction((id) => (window as unknown as { __shown: Record<string, number> }).__shown[id], offerId).then((h) => h.jsonValue());
    samples.push(shownAt - (Date.parse(offer.expiresAt) - TIMEOUT_S * 1000));
    await card.locator('[data-test=offer-reject]').click();
    await card.waitFor({ state: 'detached' });
    await api(server.url, 'POST', `/api/routing/interactions/${r.body.interaction.id}/cancel`, {}, admin);
  }
  const inOrder = [...samples];
  samples.sort((a, b) => a - b);
  const pct = (p: number) => samples[Math.min(samples.length - 1, Math.floor((p / 100) * samples.length))];
  process.stdout.write(JSON.stringify({ benchmark: 'routing decision → offer shown (ms)', rounds: samples.length, p50: pct(50), p95: pct(95), max: samples.at(-1), min: samples[0], inOrder }) + '\n');
} finally {
  await browser.close();
  await server.stop();
  await dropTestDatabase();
}
