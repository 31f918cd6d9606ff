import { describe, expect, it } from 'vitest';
import { historySearchUrl, transcriptUrl } from './history-models';

describe('history URLs', () => {
  it('sends only the filled search fields (the server refuses empty dates), text trimmed and encoded', () => {
    expect(historySearchUrl({ q: '  ada & co ', channel: '', from: '', to: '', page: 1 }, 20)).toBe('/api/history/interactions?q=ada+%26+co&page=1&pageSize=20');
    expect(historySearchUrl({ q: '', channel: 'chat', from: '2026-11-01', to: '2026-11-22', page: 3 }, 20)).toBe(
      '/api/history/interactions?channel=chat&from=2026-11-01&to=2026-11-22&page=3&pageSize=20',
    );
  });

  it('asks for the transcript with or without the files', () => {
    expect(transcriptUrl('abc', false)).toBe('/api/history/interactions/abc/transcript.pdf?attachments=0');
    expect(transcriptUrl('abc', true)).toBe('/api/history/interactions/abc/transcript.pdf?attachments=1');
  });
});
