// The link to drachtio-server as the server's start and /ready see it: one sentence naming what is
// wrong, while drachtio-srf keeps retrying until the engine is closed.
import { expect } from 'chai';
import net from 'node:net';
import { DrachtioEngine } from './engine.js';
import { drachtioUnderTest } from '../../test/support/engine.js';

async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await new Promise<number>((r) => s.listen(0, '127.0.0.1', () => r((s.address() as net.AddressInfo).port)));
  await new Promise((r) => s.close(r));
  return port;
}

describe('the link to drachtio-server', () => {
  it('names the address when nothing listens there, keeps retrying, and stops when closed', async () => {
    const port = await closedPort();
    const engine = new DrachtioEngine({ host: '127.0.0.1', port, secret: 'x', maxRetryDelayMs: 200, flowProbeMs: 0 });
    const states: string[] = [];
    engine.on('link', (s) => states.push(s.state));
    let error: unknown;
    await engine.listen().catch((e: unknown) => (error = e));
    expect(String(error)).to.equal(`Error: cannot reach drachtio-server at 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(engine.state).to.include({ state: 'unreachable' });
    // A server that comes up later is found by the retries.
    const late = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => late.listen(port, '127.0.0.1', () => r()));
    const accepted = new Promise<void>((r) => late.once('connection', () => r()));
    await accepted;
    late.close();
    await engine.close();
    expect(engine.state.state).to.equal('closed');
    expect(states[0]).to.equal('unreachable');
  });

  const d = drachtioUnderTest();
  if (d) {
    it('names a refused secret, and connects with the right one (drachtio-server run)', async () => {
      const wrong = new DrachtioEngine({ ...d, secret: `${d.secret}-wrong`, flowProbeMs: 0 });
      let error: unknown;
      await wrong.listen().catch((e: unknown) => (error = e));
      await wrong.close();
      expect(String(error)).to.match(new RegExp(`drachtio-server at ${d.host}:${d.port} refused the secret`));
      const right = new DrachtioEngine({ ...d, flowProbeMs: 0 });
      await right.listen();
      expect(right.state).to.include({ state: 'connected' });
      expect(right.stack.local('udp').port).to.be.above(0);
      await right.close();
    });
  }
});
