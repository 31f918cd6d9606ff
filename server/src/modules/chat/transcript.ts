import { In, type Repository } from 'typeorm';
import type { ChatMessagePayload } from '@switchboard/protocol';
import { InteractionEvent } from '../journey/index.js';
import type { Interaction } from '../interactions/index.js';
import type { ChatStore } from './store.js';
import type { ChatDeps, ChatKit } from './types.js';

/** What transcripts need of the chat service (which owns them). */
interface TranscriptSource {
  readonly s: ChatKit;
  readonly store: ChatStore;
  readonly interactions: Repository<Interaction>;
  readonly mailer: ChatDeps['mailer'];
}

/**
 * Chat transcripts by mail. The visitor asks during the chat or on its end screen; the mail is
 * queued once the chat is over (at once when it already is), to each address asked for, once (the
 * outbox's key is the chat and the address). Requests are journey events in MySQL, so a restart
 * in between loses nothing: the close, or the next request, queues what is still owed; the outbox
 * retries while the mail server is away. Internal notes are never in it.
 */
export class ChatTranscripts {
  constructor(private readonly chat: TranscriptSource) {}

  private get s() {
    return this.chat.s;
  }

  /** Queues what is owed for a chat that is over; returns every address it is sent or on its way to. */
  async sendOwed(interactionId: string): Promise<string[]> {
    // One sender at a time per chat: the close and a late request may meet, and the one that
    // waits must still see the other's request, so it waits rather than gives up.
    const lock = this.s.redis.key('chat', 'transcript', interactionId);
    for (let tries = 0; (await this.s.redis.client.set(lock, this.s.bus.instanceId, 'PX', 30_000, 'NX')) !== 'OK'; tries++) {
      if (tries >= 100) throw new Error('another transcript of this chat is still being sent');
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      const events = await this.s.db.getRepository(InteractionEvent).find({ where: { interactionId, type: In(['transcript.requested', 'transcript.sent']) }, order: { seq: 'ASC' } });
      const sent = new Set(events.filter((e) => e.type === 'transcript.sent').map((e) => String(e.data.email)));
      const owed = [...new Set(events.filter((e) => e.type === 'transcript.requested').map((e) => String(e.data.email)))].filter((a) => !sent.has(a));
      if (!owed.length) return [...sent];
      const i = await this.chat.interactions.findOneBy({ id: interactionId });
      if (!i) return [...sent];
      const site = this.s.config().websites.find((w) => w.id === i.websiteId)?.name ?? 'us';
      const text = transcriptText(site, await this.chat.store.history(interactionId, { notes: false }));
      for (const to of owed) {
        await this.chat.mailer.queue({ kind: 'transcript', dedupeKey: `transcript:${interactionId}:${to.toLowerCase()}`, interactionId, to, subject: `Your chat with ${site}`, text });
        sent.add(to);
      }
      return [...sent];
    } finally {
      await this.s.redis.client.del(lock);
    }
  }
}

/** The chat as plain text: a line per message (times in UTC), files by name. Nothing is interpreted. */
export function transcriptText(site: string, lines: ChatMessagePayload[]): string {
  const label = { visitor: 'You', agent: 'Agent', bot: site, system: site, note: 'Note' } as const;
  const day = lines[0]?.createdAt.slice(0, 10) ?? new Date().toISOString().slice(0, 10);
  const body = lines.map((m) => {
    const who = m.authorName ?? label[m.authorKind];
    const files = m.attachments.map((a) => `\n        [file: ${a.fileName}]`).join('');
    return `${m.createdAt.slice(11, 16)}  ${who}: ${m.body.replace(/\r?\n/g, '\n        ')}${files}`;
  });
  return [`Your chat with ${site} on ${day} (times in UTC)`, '', ...body, ''].join('\n');
}
