// Accessibility checks (axe-core) on the screens agents use all day. An agent on a screen reader
// or with low vision works the same queues as everyone else: a critical or serious violation on
// a main view fails the test that reaches it. axe is put into the page through the DevTools
// protocol (page.evaluate), not as a <script> element, so the server's CSP stays as strict as in
// production and the tests still fail on any CSP violation.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/** Runs axe on the whole page (every open view: dialogs, menus and popovers included). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: object): Promise<{ violations: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Fails on critical and serious violations, naming the view, the rule and the elements. */
export async function expectAccessible(page: Page, view: string): Promise<void> {
  const bad = (await axeViolations(page)).filter((v) => v.impact === 'critical' || v.impact === 'serious');
  if (bad.length) {
    const lines = bad.map((v) => `  ${v.impact} ${v.id}: ${v.help}\n    ${v.targets.slice(0, 5).join('\n    ')}`);
    throw new Error(`accessibility of the ${view} view (axe-core):\n${lines.join('\n')}`);
  }
}
