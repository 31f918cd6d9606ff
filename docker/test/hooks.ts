// Root hooks of the Docker suite: a failing test shows the containers and the server's last log
// lines; the end of the run removes the stack (containers, volumes, this run's image tags).
import type { Context } from 'mocha';
import { currentStack, removeStack } from './stack.ts';

export const mochaHooks = {
  async afterEach(this: Context) {
    const s = currentStack();
    if (this.currentTest?.state !== 'failed' || !s || !Object.keys(await s.containers()).length) return;
    const logs = await s.docker('ps').catch((e: Error) => e.message);
    const server = await s.docker('logs', '--no-color', '--tail=60', 'switchboard', 'prosody').catch((e: Error) => e.message);
    console.error(`\n--- compose ps\n${logs}\n--- last log lines\n${server}`);
  },
  async afterAll(this: Context) {
    this.timeout(120_000);
    await removeStack();
  },
};
