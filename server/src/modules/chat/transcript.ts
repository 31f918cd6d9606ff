import { In } from 'typeorm';
import type { ChatMessagePayload } from '@switchboard/protocol';
import { InteractionEvent } from '../journey/event.entity.js';
import { sendMail } from '../mail/forward.js';
import type { ChatService } from './service.js';

/**
 * Chat transcripts by mail. The visitor asks during the chat or on its end screen; the mail goes
 * out once the chat is over (at once when it already is), to each address asked for, once.
 * Requests and sends are journey events in MySQL, so a restart in between loses nothing: the
 * close, or the next request, sends what is still owed. Internal notes are never in it.
 */
export class ChatTranscripts {
  constructor(private readonly chat: ChatService) {}

  private get s() {
    return this.chat.s;
  }

  /** Sends what is owed for a chat that is over; returns every address that has it by now. Throws what SMTP said. */
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
        await sendMail(this.s.config(), { to, subject: `Your chat with ${site}`, text });
        await this.s.routing.records.journey(i, 'transcript.sent', null, { email: to });
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
