import { z } from 'zod';
import type { ServerModule } from '../../module.js';
import { ALL_ROLES, mount } from '../../kernel/http/route.js';
import { presentReasons } from './presenter.js';

const labelled = z.object({ id: z.string(), label: z.string() });

/** Not-ready reasons and dispositions from reasons.yaml, for the desktop's pickers. */
export const reasonsModule: ServerModule = {
  name: 'reasons',
  routes: (router, deps, s) => {
    mount(router, deps, {
      method: 'get',
      path: '/api/reasons',
      summary: 'Not-ready reasons and dispositions (wrap-up reasons) from reasons.yaml',
      tag: 'reasons',
      access: ALL_ROLES,
      rateLimit: 'api',
      response: z.object({ notReady: z.array(labelled), dispositions: z.array(labelled) }),
      handler: async () => presentReasons(s.config().reasons),
    });
  },
};
