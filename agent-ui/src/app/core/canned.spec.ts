import { describe, expect, it } from 'vitest';
import { cannedReplies, fillPlaceholders, nextPlaceholder, withoutBrackets } from './canned';

describe('canned replies', () => {
  it('fills <customer> and <agent> and leaves the other placeholders for the agent', () => {
    expect(fillPlaceholders('Hi <customer>, I am <agent>. Order <number>?', { customer: 'Ada', agent: 'Olga' })).toBe('Hi Ada, I am Olga. Order <number>?');
    expect(fillPlaceholders('Hi <customer>', { customer: '  ' })).toBe('Hi <customer>');
  });

  it('finds the next placeholder to select, and none in finished text', () => {
    expect(nextPlaceholder('It starts with <letter>.')).toEqual([15, 23]);
    expect(nextPlaceholder('It starts with A.')).toBeNull();
  });

  it('strips the reserved characters from typed or pasted text', () => {
    expect(withoutBrackets('<b>bold</b> a > b')).toBe('bbold/b a  b');
  });

  it('has the same replies in every language, each with a placeholder', () => {
    const ids = (l: 'en' | 'it' | 'fr') => cannedReplies(l).map((r) => r.id);
    expect(ids('it')).toEqual(ids('en'));
    expect(ids('fr')).toEqual(ids('en'));
    for (const r of cannedReplies('fr')) expect(nextPlaceholder(r.text)).not.toBeNull();
  });
});
