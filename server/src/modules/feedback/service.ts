import { timingSafeEqual } from 'node:crypto';
import { In, type DataSource } from 'typeorm';
import type { CsatSummary } from '@switchboard/protocol';
import type { Website } from '../../kernel/config/schema.js';
import { HttpError, forbidden } from '../../kernel/http/errors.js';
import { newId } from '../../kernel/db/ids.js';
import { Interaction } from '../interactions/index.js';
import type { InteractionSteps } from '../routing/index.js';
import { hashToken } from '../intake/index.js';
import { CsatRating } from './csat-rating.entity.js';
import { systemClock, type Clock } from '../../kernel/clock.js';
import type { RatingBody } from './schema.js';

const OPEN = ['new', 'queued', 'offered', 'assigned', 'conference'];

/**
 * Customer satisfaction: the visitor rates a chat once it is over, with the chat's own token, on
 * a website that asks for it. Stored once per interaction, with a `csat.rated` journey entry.
 */
export class CsatService {
  constructor(
    private readonly db: DataSource,
    /** Routing's lifecycle: the rating's journey step is written there. */
    private readonly routing: Pick<InteractionSteps, 'journey'>,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The chat whose token this is, on this website; unknown chat and wrong token answer alike. */
  async chatOf(website: Website, interactionId: string, token: string | undefined): Promise<Interaction> {
    if (!token) throw new HttpError(401, 'token_required', 'Send the chat token given when the chat started (Authorization: Bearer <token>).');
    const i = /^[0-9a-f]{32}$/.test(interactionId) ? await this.db.getRepository(Interaction).findOneBy({ id: interactionId }) : null;
    const expected = i?.visitorTokenHash ? Buffer.from(i.visitorTokenHash, 'hex') : Buffer.alloc(32);
    const ok = timingSafeEqual(expected, Buffer.from(hashToken(token), 'hex')) && !!i && i.channel === 'chat' && i.websiteId === website.id;
    if (!ok || !i) throw forbidden('This chat token is not valid for this chat.');
    return i;
  }

  async rate(website: Website, i: Interaction, body: RatingBody): Promise<CsatSummary> {
    if (!website.csat.enabled) throw new HttpError(403, 'csat_disabled', 'This website does not ask for ratings.');
    if (OPEN.includes(i.state)) throw new HttpError(409, 'chat_open', 'A chat is rated once it has ended.');
    const row = this.db.getRepository(CsatRating).create({
      id: newId(),
      interactionId: i.id,
      websiteId: i.websiteId,
      channel: i.channel,
      queueId: i.queueId,
      agentId: i.assignedAgentId,
      rating: body.rating,
      comment: body.comment || null,
      createdAt: this.clock.now(),
    });
    try {
      await this.db.getRepository(CsatRating).insert(row);
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') throw new HttpError(409, 'already_rated', 'This chat was rated already.');
      throw err;
    }
    await this.routing.journey(i, 'csat.rated', null, { rating: row.rating, comment: row.comment }, row.createdAt);
    return { rating: row.rating, comment: row.comment, at: row.createdAt.toISOString() };
  }
}

/** The ratings of these interactions, for History and the interaction's views. */
export async function ratingsOf(db: DataSource, interactionIds: string[]): Promise<Map<string, CsatSummary>> {
  if (!interactionIds.length) return new Map();
  const rows = await db.getRepository(CsatRating).findBy({ interactionId: In(interactionIds) });
  return new Map(rows.map((r) => [r.interactionId, { rating: r.rating, comment: r.comment, at: r.createdAt.toISOString() }]));
}
