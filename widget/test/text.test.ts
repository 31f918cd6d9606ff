// Unit tests of how the widget cuts what it sends (src/frame/text.ts).
import { expect } from 'chai';
import { clip } from '../src/frame/text.ts';

describe('widget text cutting', () => {
  it('cuts to the limit without splitting an emoji into a lone surrogate', () => {
    const text = `${'a'.repeat(499)}\u{1F600}b`;
    expect(clip(text, 500)).to.equal('a'.repeat(499));
    expect(clip(text, 501)).to.equal(`${'a'.repeat(499)}\u{1F600}`);
    expect(clip(text, 502)).to.equal(text);
    for (let max = 0; max <= text.length; max++) expect(clip(text, max).isWellFormed(), `cut at ${max}`).to.equal(true);
  });

  it('leaves short text and text of only single units as it is', () => {
    expect(clip('', 5)).to.equal('');
    expect(clip('città', 5)).to.equal('città');
    expect(clip('città è qui', 5)).to.equal('città');
  });
});
