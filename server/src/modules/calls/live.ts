import { In, IsNull, type DataSource } from 'typeorm';
import { Call } from './call.entity.js';

/** Those of these interactions that have a call still going on. */
export async function withLiveCall(db: DataSource, interactionIds: string[]): Promise<string[]> {
  if (!interactionIds.length) return [];
  const rows = await db.getRepository(Call).find({ where: { interactionId: In(interactionIds), endedAt: IsNull() }, select: { id: true, interactionId: true } });
  return [...new Set(rows.map((r) => r.interactionId!))];
}
