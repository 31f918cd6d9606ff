// The SIP transaction figures as the stack reports them, read back through the Prometheus text
// format: methods a peer makes up fold into 'other', successes are not failures, and new calls
// per second count only the INVITEs that open a dialog.
import { createRequire } from 'node:module';
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { SipAndChatMetrics } from './sip.js';

interface Family { name: string; type: string; metrics: { labels?: Record<string, string>; value?: string }[] }
const parse = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => Family[];

describe('metrics: SIP transactions', () => {
  it('counts transactions by method and direction, failures by code, and new calls per second', async () => {
    const registry = new Registry();
    const m = new SipAndChatMetrics(registry, () => null);
    for (const e of [
      { direction: 'in', method: 'INVITE', initial: true }, { direction: 'in', method: 'INVITE', initial: true, status: 180 }, { direction: 'in', method: 'INVITE', initial: true, status: 200 },
      { direction: 'in', method: 'INVITE', initial: false }, { direction: 'in', method: 'INVITE', initial: false, status: 491 },
      { direction: 'out', method: 'INVITE', initial: true }, { direction: 'out', method: 'INVITE', initial: true, status: 503 },
      { direction: 'out', method: 'OPTIONS' }, { direction: 'out', method: 'OPTIONS', status: 408 },
      { direction: 'in', method: 'XYZZY' }, { direction: 'in', method: 'XYZZY', status: 501 },
    ] as const) {
      m.observeTransaction(e);
    }
    const families = new Map(parse(await registry.metrics()).map((f) => [f.name, f]));
    const txs = families.get('switchboard_sip_transactions_total')!.metrics.map((x) => [x.labels?.method, x.labels?.direction, x.value]);
    expect(txs).to.have.deep.members([['INVITE', 'in', '2'], ['INVITE', 'out', '1'], ['OPTIONS', 'out', '1'], ['other', 'in', '1']]);
    const failures = families.get('switchboard_sip_transaction_failures_total')!.metrics.map((x) => [x.labels?.method, x.labels?.direction, x.labels?.code, x.value]);
    expect(failures).to.have.deep.members([['INVITE', 'in', '491', '1'], ['INVITE', 'out', '503', '1'], ['OPTIONS', 'out', '408', '1'], ['other', 'in', '501', '1']]);
    // Two INVITEs opened a dialog (the re-INVITE did not), over a 10 s window.
    expect(families.get('switchboard_sip_new_calls_per_second')!.metrics[0]!.value).to.equal('0.2');
  });
});
