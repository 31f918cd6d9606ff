import { z } from 'zod';
import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import { ALL_ROLES, mount } from '../../kernel/http/route.js';
import { presentReasons } from './presenter.js';

const labelled = z.object({ id: z.string(), label: z.string() });

/** Not-ready reasons and dispositions from reasons.yaml, for the desktop's pickers. */
export const createReasons = (k: Kernel): ServerModule => ({
  name: 'reasons',
  routes: (router, deps) => {
    mount(router, deps, {
      method: 'get',
      path: '/api/reasons',
      summary: 'Not-ready reasons and dispositions (wrap-up reasons) from reasons.yaml',
      tag: 'reasons',
      access: ALL_ROLES,
      rateLimit: 'api',
      response: z.object({ notReady: z.array(labelled), dispositions: z.array(labelled) }),
      handler: async () => presentReasons(k.config().reasons),
    });
  },
});
