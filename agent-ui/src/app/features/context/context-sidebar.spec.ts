import { describe, expect, it } from 'vitest';
import { journeyEntries } from './context-sidebar';

describe('journeyEntries', () => {
  it('groups events by interaction, newest first, without the current one, and names the channel', () => {
    const entries = journeyEntries([
      { interactionId: 'old', agentId: null, type: 'chat.form', data: null, at: '2026-01-01T10:00:00Z' },
      { interactionId: 'old', agentId: 'a', type: 'assigned', data: null, at: '2026-01-01T10:01:00Z' },
      { interactionId: 'old', agentId: 'a', type: 'closed', data: null, at: '2026-01-01T10:09:00Z' },
      { interactionId: 'now', agentId: null, type: 'chat.form', data: null, at: '2026-03-01T10:00:00Z' },
      { interactionId: 'call', agentId: null, type: 'call.requested', data: null, at: '2026-02-01T10:00:00Z' },
      { interactionId: 'call', agentId: null, type: 'call.ended', data: null, at: '2026-02-01T10:05:00Z' },
    ], 'now');
    expect(entries.map((e) => [e.interactionId, e.channel, e.steps])).toEqual([
      ['call', 'phone', ['call.requested', 'call.ended']],
      ['old', 'chat', ['chat.form', 'assigned', 'closed']],
    ]);
    expect(entries[1]!.last).toBe('2026-01-01T10:09:00Z');
  });
});
