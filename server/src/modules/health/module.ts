import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { Readiness, type MailProbes, type XmppStatus } from './checks.js';
import { healthRoutes } from './routes.js';

/** What /ready asks of other contexts: the chat's XMPP session and the mail servers' probes. */
export interface HealthDeps {
  xmpp: XmppStatus;
  mail: MailProbes;
}

/** The health context as app.ts wires it; `readiness` takes the checks that exist while a context runs (SIP). */
export interface HealthContext extends ServerModule {
  readonly readiness: Readiness;
}

/** Liveness and readiness for load balancers and IT. */
export function createHealth(k: Kernel, deps: HealthDeps): HealthContext {
  const readiness = new Readiness(k.db, k.redis, deps.xmpp, () => k.config().main.rtpengine, () => k.config().main, deps.mail);
  return {
    name: 'health',
    readiness,
    routes: (router, routeDeps) => healthRoutes(router, routeDeps, readiness),
    start: async () => () => readiness.close(),
  };
}
