import type Router from '@koa/router';
import { z } from 'zod';
import type { HistoryRecord } from '@switchboard/protocol';
import { ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import { forbidden, notFound } from '../../kernel/http/errors.js';
import { isId } from '../../kernel/db/ids.js';
import { presentMessage } from '../chat/index.js';
import { presentJourneyEvent } from '../interactions/index.js';
import { historySearch, transcriptQuery } from './schema.js';
import { presentHistoryCall } from './presenter.js';
import { renderTranscript, transcriptFonts } from './pdf.js';
import type { HistoryService } from './service.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Principal } from '../../kernel/http/principal.js';
import type { Config } from '../../kernel/config/schema.js';

const interactionId = (raw: string | undefined) => {
  if (!isId(raw)) throw notFound('Interaction');
  return raw;
};

/** The time zone transcripts are written in: the queue's calendar, else the website's, else UTC. */
function timeZoneOf(cfg: Config, queueId: string | null, websiteId: string | null): string {
  const calendarId = cfg.queues.find((q) => q.id === queueId)?.hours ?? cfg.websites.find((w) => w.id === websiteId)?.hours;
  return cfg.calendars.find((c) => c.id === calendarId)?.timezone ?? 'UTC';
}

const item = z.object({
  id: z.string(), channel: z.string(), queueName: z.string().nullable(), contactName: z.string().nullable(), contactEmail: z.string().nullable(),
  agentNames: z.array(z.string()), state: z.string(), disposition: z.string().nullable(), subject: z.string().nullable(), createdAt: z.string(), closedAt: z.string().nullable(),
});

export function historyRoutes(router: Router, deps: RouteDeps, s: Kernel, history: HistoryService): void {
  const fonts = transcriptFonts();
  mount(router, deps, {
    method: 'get', path: '/api/history/interactions', tag: 'history',
    summary: 'Search past interactions (agents: the ones they handled; supervisors: all), newest first',
    access: ALL_ROLES, rateLimit: 'api', query: historySearch,
    response: z.object({ items: z.array(item), total: z.number() }),
    handler: async (ctx, { query }) => history.search(ctx.state.principal as Principal, query),
  });

  mount(router, deps, {
    method: 'get', path: '/api/history/interactions/:id', tag: 'history',
    summary: 'One past interaction: its messages (notes included), calls and timeline',
    access: ALL_ROLES, rateLimit: 'api',
    handler: async (ctx) => {
      const r = await history.get(ctx.state.principal as Principal, interactionId(ctx.params.id));
      return {
        interaction: r.item,
        messages: r.messages.map((m) => presentMessage(m, r.attachments.filter((a) => a.messageId === m.id))),
        calls: r.calls.map(({ call, legs }) => presentHistoryCall(call, legs.find((l) => l.side === 'a')?.remoteUri ?? null, legs.find((l) => l.side === 'b')?.remoteUri ?? null)),
        journey: r.journey.map(presentJourneyEvent),
      } satisfies HistoryRecord;
    },
  });

  mount(router, deps, {
    method: 'get', path: '/api/history/interactions/:id/transcript.pdf', tag: 'history',
    summary: 'The transcript as a PDF download; attachments=1 embeds the files (roles in security.transcriptAttachmentRoles)',
    access: ALL_ROLES, rateLimit: 'api', query: transcriptQuery,
    handler: async (ctx, { query }) => {
      const p = ctx.state.principal as Principal;
      const withFiles = query.attachments === '1';
      if (withFiles && !history.mayExportAttachments(p)) throw forbidden('Your role may download transcripts without their attachments only.');
      const r = await history.get(p, interactionId(ctx.params.id));
      const cfg = s.config();
      const pdf = await renderTranscript(r, {
        attachments: withFiles,
        filesDir: cfg.main.storage.uploadsDir,
        timeZone: timeZoneOf(cfg, r.interaction.queueId, r.interaction.websiteId),
        generatedBy: p.username,
        fonts,
      });
      s.log.info({ interactionId: r.item.id, agentId: p.agentId, attachments: withFiles }, 'transcript downloaded');
      ctx.set('Content-Type', 'application/pdf');
      ctx.set('Content-Disposition', `attachment; filename="transcript-${r.item.id}.pdf"`);
      ctx.set('X-Content-Type-Options', 'nosniff');
      ctx.set('Cache-Control', 'private, no-store');
      ctx.body = pdf;
    },
  });
}
