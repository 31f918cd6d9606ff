import type { Reasons } from '@switchboard/protocol';
import type { Config, LocalText } from '../../kernel/config/schema.js';

/** The built-in "timeout" disposition (unattended chats) is listed too, so history can label it. */
export const TIMEOUT_DISPOSITION = { id: 'timeout', label: 'Timeout' } as const;

export function presentReasons(r: Config['reasons']): Reasons {
  const pick = (l: { id: string; label: LocalText }) => ({ id: l.id, label: l.label });
  const dispositions = r.dispositions.map(pick);
  if (!dispositions.some((d) => d.id === TIMEOUT_DISPOSITION.id)) dispositions.push({ ...TIMEOUT_DISPOSITION });
  return { notReady: r.notReady.map(pick), dispositions };
}
