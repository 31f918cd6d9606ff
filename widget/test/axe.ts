// Accessibility checks (axe-core) on every screen of the widget. A visitor on a screen reader or
// with low vision must be able to reach the website as anyone else: a critical or serious
// violation in the frame, or in what the loader draws on the page, fails the test that reaches
// it. axe goes in through the DevTools protocol (evaluate), not a <script> element, so the
// frame's CSP stays as strict as in production.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

type Context = Page | Frame;

async function violations(where: Context, include: string | null): Promise<AxeViolation[]> {
  if (!(await where.evaluate(() => 'axe' in window))) await where.evaluate(AXE_SOURCE);
  return where.evaluate(async (sel) => {
    const axe = (window as unknown as { axe: { run(ctx: unknown, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    // Each document is checked in its own realm: the page's run does not wait on the frame's.
    const r = await axe.run(sel ? { include: [[sel]] } : document, { resultTypes: ['violations'], iframes: false });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  }, include);
}

/** The widget's frame on this page (the loader's), once it is loaded. */
export function widgetFrame(page: Page): Frame {
  const frame = page.frames().find((f) => f.url().includes('/widget/frame/'));
  if (!frame) throw new Error('the widget frame is not loaded');
  return frame;
}

/** What the widget shows: the frame's document and, on the website's page, only what the loader drew. */
export async function widgetViolations(page: Page): Promise<AxeViolation[]> {
  const frame = page.frames().find((f) => f.url().includes('/widget/frame/'));
  return [...(frame ? await violations(frame, null) : []), ...(await violations(page, '[data-switchboard-widget]'))];
}

/** Fails on critical and serious violations, naming the screen, the rule and the elements. */
export async function expectAccessible(page: Page, screen: string): Promise<void> {
  const bad = (await widgetViolations(page)).filter((v) => v.impact === 'critical' || v.impact === 'serious');
  if (bad.length) {
    const lines = bad.map((v) => `  ${v.impact} ${v.id}: ${v.help}\n    ${v.targets.slice(0, 5).join('\n    ')}`);
    throw new Error(`accessibility of the widget's ${screen} screen (axe-core):\n${lines.join('\n')}`);
  }
}
