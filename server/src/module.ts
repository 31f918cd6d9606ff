import type Router from '@koa/router';
import type { RouteDeps } from './kernel/http/route.js';
import type { Services } from './services.js';
import type { RealtimeHub } from './kernel/realtime/hub.js';

/**
 * One bounded context's entry into the server. app.ts lists the modules; a module mounts its
 * routes, registers its socket commands and bus handlers, and returns what must run at stop.
 */
export interface ServerModule {
  name: string;
  routes?(router: Router, deps: RouteDeps, s: Services): void;
  start?(s: Services, hub: RealtimeHub): Promise<void | (() => Promise<void> | void)>;
}
