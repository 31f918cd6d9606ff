// Unit tests of the rules the loader and the frame share (src/look.ts): which of the website's
// texts the visitor reads, and which text colour goes on the website's colour.
import { expect } from 'chai';
import { localText, pickLanguage, textOn } from '../src/look.ts';

/** WCAG 2 contrast ratio, written out here rather than taken from the code under test. */
function contrast(a: string, b: string): number {
  const lum = (hex: string) => {
    const [r, g, bl] = [1, 3, 5].map((i) => {
      const c = parseInt(hex.slice(i, i + 2), 16) / 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('widget look rules', () => {
  it("reads a website's text as one string for every language, or the visitor's language from a map, else English, else the first", () => {
    expect(localText('Talk to us', 'it')).to.equal('Talk to us');
    const title = { en: 'Talk to us', it: 'Parla con noi', fr: 'Parlez-nous' };
    expect(localText(title, 'it')).to.equal('Parla con noi');
    expect(localText(title, 'fr')).to.equal('Parlez-nous');
    expect(localText({ en: 'Talk to us', it: 'Parla con noi' }, 'fr')).to.equal('Talk to us');
    expect(localText({ it: 'Parla con noi', fr: 'Parlez-nous' }, 'en')).to.equal('Parla con noi');
    expect(localText({ fr: 'Parlez-nous' }, 'it')).to.equal('Parlez-nous');
  });

  it('reads nothing, not an error, from a missing or malformed text', () => {
    expect(localText(undefined, 'en')).to.equal('');
    expect(localText(null, 'en')).to.equal('');
    expect(localText({}, 'en')).to.equal('');
    expect(localText(42 as never, 'en')).to.equal('');
    expect(localText({ it: 7, fr: 'Parlez-nous' } as never, 'it')).to.equal('Parlez-nous');
  });

  it("picks the language the site asks for, else the browser's first one we speak, else English", () => {
    expect(pickLanguage('it', ['fr-FR'])).to.equal('it');
    expect(pickLanguage(undefined, ['de-DE', 'fr-CA', 'it'])).to.equal('fr');
    expect(pickLanguage('de', ['IT-it'])).to.equal('it');
    expect(pickLanguage(undefined, ['de', 'es'])).to.equal('en');
    expect(pickLanguage(undefined, [])).to.equal('en');
  });

  it("puts text at 4.5:1 or better on any website colour (black or white, from the colour's luminance)", () => {
    const hex = (n: number) => n.toString(16).padStart(2, '0');
    let worst = Infinity;
    for (let r = 0; r < 256; r += 15) {
      for (let g = 0; g < 256; g += 15) {
        for (let b = 0; b < 256; b += 15) {
          const bg = `#${hex(r)}${hex(g)}${hex(b)}`;
          worst = Math.min(worst, contrast(textOn(bg), bg));
        }
      }
    }
    expect(worst).to.be.at.least(4.5);
    expect(textOn('#ffd33d')).to.equal('#000000');
    expect(textOn('#0b1f33')).to.equal('#ffffff');
  });
});
