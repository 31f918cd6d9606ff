// The stage of every call-loop test: rtpengine, the Kamailio PBX stand-in (e2e/pbx.ts) forwarding
// a queue's number to the agent's extension, Switchboard with SIP on free ports and the trunk
// pointed at that PBX, the shop page with the snippet on its own origin, and the agent logged in
// to the desktop with the softphone registered. A visitor's call is then placed from the real
// widget on the shop page, and rings in the desktop the way a deployment's calls do.
import { expect } from 'chai';
import path from 'node:path';
import type { Browser, BrowserContext, FrameLocator, Page } from 'playwright-core';
import { alwaysOpen, api, dropTestDatabase, launchChromium, logInOnScreen, login, REPO, serveShop, startServer, type E2eServer } from './harness.ts';
import { eventually, received, watchPeerConnections } from './media.ts';
import { startPbx, type Pbx } from './pbx.ts';

const { freePort, rtpengineRelay } = await import(path.join(REPO, 'sip/dist/test/support/services.js'));

export type Relay = { list(): Promise<string[]>; query(id: string): Promise<unknown>; close(): Promise<void> };
export type StageAgent = { username: string; password: string; name: string; extension: string; skills?: { skill: string; level: number }[] };

/** A call's media session at rtpengine is named by the call's id written as a UUID. */
export const mediaSessionId = (hex: string) => `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;

type NgQuery = { tags?: Record<string, { medias?: Array<{ type?: string; streams?: Array<{ stats?: { packets?: number } }> }> }> };

/**
 * Packets rtpengine received from each leg (tag) of a media session, per media type: a leg's
 * count grows only while that side sends, so growth on both legs is media flowing both ways.
 */
export async function packetsByLeg(relay: Relay, sessionId: string): Promise<Array<Record<string, number>>> {
  const q = (await relay.query(sessionId)) as NgQuery;
  return Object.values(q.tags ?? {}).map((t) => {
    const byType: Record<string, number> = {};
    for (const m of t.medias ?? []) byType[m.type ?? '?'] = (byType[m.type ?? '?'] ?? 0) + (m.streams ?? []).reduce((n, st) => n + (st.stats?.packets ?? 0), 0);
    return byType;
  });
}

/** rtpengine counts at least `more` new packets of each kind from both legs of the session. */
export async function expectRtpBothWays(relay: Relay, sessionId: string, kinds: Array<'audio' | 'video'>, when: string, more = 50): Promise<void> {
  const before = await packetsByLeg(relay, sessionId);
  expect(before.length, `legs of the visitor call at rtpengine ${when}`).to.equal(2);
  await eventually(
    () => packetsByLeg(relay, sessionId),
    (now) => now.every((leg, i) => kinds.every((k) => (leg[k] ?? 0) >= (before[i]![k] ?? 0) + more)),
    `${kinds.join(' and ')} packets from both legs at rtpengine ${when} (before: ${JSON.stringify(before)})`,
  );
}

export interface PbxStage {
  server: E2eServer;
  pbx: Pbx;
  relay: Relay;
  browser: Browser;
  /** The agent's desktop. */
  page: Page;
  siteOrigin: string;
  agentId: string;
  agentToken: string;
  /** Page errors (and, with `strictCsp`, refusals by the page policy) on any page of the stage. */
  errors: string[];
  /** Another agent with their desktop open (a transfer's target). */
  addAgent(agent: StageAgent): Promise<{ page: Page; agentId: string; token: string }>;
  /** A visitor on the shop page, the widget open, a call of the kind asked for placed; its interaction's id. */
  placeCall(kind: 'audio' | 'video'): Promise<{ visitorPage: Page; widget: FrameLocator; interactionId: string }>;
  close(): Promise<void>;
}

/** `forward`: more PBX numbers and the extensions they ring (a transfer's target). */
export async function startPbxStage(opts: { agent: StageAgent; queueNumber: string; recordRoute: boolean; camera?: boolean; strictCsp?: boolean; forward?: Record<string, string> }): Promise<PbxStage> {
  const contexts: BrowserContext[] = [];
  const errors: string[] = [];
  const permissions = opts.camera ? ['microphone', 'camera'] : ['microphone'];
  const relay: Relay = await rtpengineRelay();
  const sipPort = await freePort();
  const sitePort = await freePort();
  const siteOrigin = `http://127.0.0.1:${sitePort}`;
  const pbx = await startPbx({ port: await freePort(), switchboardPort: sipPort, forward: { ...opts.forward, [opts.queueNumber]: opts.agent.extension }, recordRoute: opts.recordRoute });
  const server = await startServer({
    ...alwaysOpen(),
    'websites/example.yaml:origins': [siteOrigin],
    'switchboard.yaml:sip.enabled': true,
    'switchboard.yaml:sip.udpPort': sipPort,
    'switchboard.yaml:sip.tcpPort': sipPort,
    'switchboard.yaml:sip.wsPort': await freePort(),
    'trunks.yaml:trunks.0.port': pbx.port,
    'trunks.yaml:trunks.0.optionsPingSeconds': 0,
  });
  const site = await serveShop(sitePort, server.url);
  const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
  const r = await api(server.url, 'POST', '/api/agents', { ...opts.agent, role: 'agent' }, admin);
  expect(r.status, JSON.stringify(r.body)).to.equal(201);

  const browser = await launchChromium();
  /** The agent's desktop in a context of its own, logged in, the softphone registered, Available. */
  const openDesktop = async (agent: StageAgent) => {
    const context = await browser.newContext({ locale: 'en-GB', viewport: { width: 1280, height: 900 }, permissions });
    contexts.push(context);
    await context.addInitScript(watchPeerConnections);
    const page = await context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    if (opts.strictCsp) page.on('console', (m) => m.type() === 'error' && /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    await logInOnScreen(page, server.url, agent);
    await page.locator('[data-test=phone-registration].registered').waitFor({ timeout: 20_000 });
    const token = await login(server.url, agent.username, agent.password);
    expect((await api(server.url, 'PUT', '/api/agents/me/state', { state: 'available' }, token)).status).to.equal(200);
    return { page, token };
  };
  const { page, token: agentToken } = await openDesktop(opts.agent);

  return {
    server, pbx, relay, browser, page, siteOrigin, agentId: r.body.agent.id, agentToken, errors,
    async addAgent(agent) {
      const made = await api(server.url, 'POST', '/api/agents', { ...agent, role: 'agent' }, admin);
      expect(made.status, JSON.stringify(made.body)).to.equal(201);
      return { ...(await openDesktop(agent)), agentId: made.body.agent.id as string };
    },
    async placeCall(kind) {
      const visitorContext = await browser.newContext({ locale: 'en-GB', permissions });
      contexts.push(visitorContext);
      await visitorContext.addInitScript(watchPeerConnections);
      const visitorPage = await visitorContext.newPage();
      visitorPage.on('pageerror', (e) => errors.push(`visitor: ${e.message}`));
      await visitorPage.goto(siteOrigin + '/');
      await visitorPage.locator('[data-switchboard-widget] button').click();
      const widget = visitorPage.frameLocator('[data-switchboard-widget] iframe');
      await (kind === 'video' ? widget.getByRole('button', { name: 'Video call' }) : widget.getByRole('button', { name: 'Call', exact: true })).click();
      await widget.getByRole('button', { name: 'Test my devices' }).click();
      await widget.getByRole('button', { name: 'Continue' }).click({ timeout: 25_000 });
      const started = visitorPage.waitForResponse((res) => res.url().endsWith('/api/widget/example/calls') && res.request().method() === 'POST');
      await widget.getByRole('button', { name: 'Call now' }).click();
      const interactionId: string = (await (await started).json()).interactionId;
      return { visitorPage, widget, interactionId };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close();
      await server.stop();
      await pbx.stop();
      await site.close();
      await relay.close();
      await dropTestDatabase();
    },
  };
}

/**
 * Once a call has ended nothing of it is left: no media session at rtpengine, no dialog or call in
 * Switchboard's engine, one closed call record with its cause, the interaction closed, its agent in
 * wrap-up. Returns the closed record.
 */
export async function expectNothingLeft(stage: PbxStage, opts: { interactionId: string; sessionId: string; video: boolean; cause: string; agentNames: string[]; lastAgent?: { agentId: string; token: string } }) {
  const { server, relay } = stage;
  const { agentId, token: agentToken } = opts.lastAgent ?? { agentId: stage.agentId, token: stage.agentToken };
  const admin = await login(server.url, 'admin', process.env.SWITCHBOARD_ADMIN_PASSWORD);
  await eventually(() => relay.list(), (ids) => !ids.includes(opts.sessionId), 'the media session deleted');
  const live = await eventually(async () => (await api(server.url, 'GET', '/api/admin/sip', undefined, admin)).body, (b) => b.dialogs === 0 && b.calls === 0, 'no dialog or call left in the SIP engine');
  expect(live).to.deep.equal({ dialogs: 0, calls: 0 });
  const record = async () => (await api(server.url, 'GET', `/api/history/interactions/${opts.interactionId}`, undefined, admin)).body;
  const after = await eventually(record, (r) => r.interaction?.state === 'closed' && !!r.calls?.[0]?.endedAt, 'the interaction and its call closed');
  expect(after.calls, JSON.stringify(after.calls)).to.have.length(1);
  expect(after.calls[0]).to.include({ kind: 'widget', video: opts.video, cause: opts.cause });
  expect(after.interaction.agentNames).to.have.members(opts.agentNames);
  await eventually(async () => (await api(server.url, 'GET', `/api/agents/${agentId}/state`, undefined, agentToken)).body.state as string, (st) => st === 'wrap-up', 'the agent in wrap-up');
  return after;
}

/**
 * A video call from the PBX rings in the desktop as video, is answered with the camera, and each
 * side decodes the other's video (frames, not only packets); `beforeAnswer` looks at the ringing desktop.
 */
export async function answerVideoBothWays(stage: PbxStage, visitorPage: Page, widget: FrameLocator, beforeAnswer?: () => Promise<void>) {
  const { page } = stage;
  const panel = page.locator('[data-test=call-panel]');
  await panel.and(page.locator('[data-call-state=ringing]')).waitFor({ timeout: 20_000 });
  expect(await panel.locator('.channel').textContent()).to.match(/^Video · Incoming call$/);
  expect(await panel.locator('[data-test=answer]').textContent()).to.equal('Answer with video');
  await panel.locator('[data-test=answer-audio]').waitFor();
  await beforeAnswer?.();
  await panel.locator('[data-test=answer]').click();

  await panel.and(page.locator('[data-call-state=connected]')).waitFor({ timeout: 20_000 });
  await widget.locator('.sb-call-state', { hasText: 'Connected' }).waitFor({ timeout: 20_000 });
  const remote = panel.locator('[data-test=remote-video]');
  await remote.waitFor();
  await panel.locator('[data-test=local-video]').waitFor();

  // The desktop decodes the visitor's camera, and its remote video plays.
  await eventually(() => received(page, 'video'), (r) => r.frames > 0, 'video frames decoded by the desktop');
  const size = await eventually(() => remote.evaluate((v: HTMLVideoElement) => [v.videoWidth, v.videoHeight]), ([w, h]) => w! > 0 && h! > 0, 'remote video size on the desktop');
  expect(size[0]).to.be.greaterThan(0);
  const t0 = await remote.evaluate((v: HTMLVideoElement) => v.currentTime);
  await eventually(() => remote.evaluate((v: HTMLVideoElement) => v.currentTime), (t) => t > t0, 'remote video time advancing on the desktop');
  // The visitor decodes the agent's camera.
  const frame = visitorPage.frames().find((f) => f.url().includes('/widget/frame/'))!;
  await eventually(() => received(frame, 'video'), (r) => r.frames > 0, 'video frames decoded by the widget');
  await eventually(() => frame.evaluate(() => document.querySelector<HTMLVideoElement>('video.sb-remote')?.videoWidth ?? 0), (w) => w > 0, 'agent video size in the widget');
  return panel;
}
