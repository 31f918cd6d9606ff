import type Router from '@koa/router';
import type { RouteDeps } from './kernel/http/route.js';
import type { RealtimeHub } from './kernel/realtime/hub.js';

/**
 * One bounded context's entry into the server. A context is built by its factory,
 * `createX(kernel, deps)`, with everything it uses; app.ts lists the built contexts, mounts their
 * routes, then starts them. `start` registers socket commands and bus handlers and returns what
 * must run at stop.
 */
export interface ServerModule {
  name: string;
  routes?(router: Router, deps: RouteDeps): void;
  start?(hub: RealtimeHub): Promise<void | (() => Promise<void> | void)>;
}
