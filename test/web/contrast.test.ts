/**
 * WCAG 2.x contrast, computed: known ratios, and the colours a branded page derives from any tenant
 * colour, each of which must reach 4.5:1 (AA, normal text) where it is used.
 */
import { describe, expect, it } from 'vitest';
import { brandPalette, CARD_COLOR, contrastRatio, ensureContrast, parseHexColor, relativeLuminance, textColorOn } from '../../src/platform/contrast.js';

describe('contrast ratio (WCAG 2.x)', () => {
  it.each([
    ['#000000', '#ffffff', 21],
    ['#ffffff', '#ffffff', 1],
    ['#777', '#fff', 4.48],
    ['#767676', '#ffffff', 4.54],
    ['#757575', '#ffffff', 4.61],
    ['#0f5ea8', '#ffffff', 6.59],
    ['#1f4e79', '#ffffff', 8.66],
    ['#ff0000', '#ffffff', 4.0],
    ['#0000ff', '#ffffff', 8.59],
    ['#ffff00', '#000000', 19.56],
    ['#59636e', '#f3f4f6', 5.56],
  ])('%s against %s is %s:1', (a, b, ratio) => {
    expect(contrastRatio(a, b)).toBeCloseTo(ratio, 2);
    expect(contrastRatio(b, a)).toBe(contrastRatio(a, b));
  });

  it('reads luminance as WCAG defines it', () => {
    expect(relativeLuminance('#000')).toBe(0);
    expect(relativeLuminance('#fff')).toBe(1);
    expect(relativeLuminance('#808080')).toBeCloseTo(0.2159, 4);
  });

  it.each(['red', '#12345', '#1234', '#12345678', 'rgb(0,0,0)', '#ggg', '', '#fff; background-image:url(x)'])('judges only #rgb and #rrggbb, not %j', (c) => {
    expect(parseHexColor(c)).toBeUndefined();
    expect(brandPalette(c)).toBeUndefined();
  });
});

describe('a readable colour for any brand colour', () => {
  it.each([
    // colour, background, expected: kept when it passes, else the least darkening (or lightening) that does
    ['#767676', '#ffffff', '#767676'],
    ['#777777', '#ffffff', '#767676'],
    ['#ffffff', '#ffffff', '#767676'],
    ['#ffff00', '#ffffff', '#7a7a00'],
    ['#ff0000', '#ffffff', '#ee0000'],
    ['#0a3d62', '#ffffff', '#0a3d62'],
    ['#333333', '#000000', '#757575'],
  ])('%s on %s becomes %s', (color, background, expected) => {
    const readable = ensureContrast(color, background);
    expect(readable).toBe(expected);
    expect(contrastRatio(readable, background)).toBeGreaterThanOrEqual(4.5);
  });

  it.each([
    ['#777777', '#000000'],
    ['#757575', '#ffffff'],
    ['#ffff00', '#000000'],
    ['#0a3d62', '#ffffff'],
    ['#ff0000', '#000000'],
    ['#808080', '#000000'],
  ])('text on %s is %s', (background, expected) => {
    expect(textColorOn(background)).toBe(expected);
    expect(contrastRatio(textColorOn(background), background)).toBeGreaterThanOrEqual(4.5);
  });

  it('gives every colour a palette whose footer text, links and buttons reach AA', () => {
    for (let r = 0; r <= 255; r += 17) {
      for (let g = 0; g <= 255; g += 17) {
        for (let b = 0; b <= 255; b += 17) {
          const color = `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
          const p = brandPalette(color)!;
          expect(p.background).toBe(color);
          // The footer (text and privacy link) sits on the tenant colour.
          expect(contrastRatio(p.onBackground, p.background), color).toBeGreaterThanOrEqual(4.5);
          // Links and outlined buttons are accent on the white card; primary buttons are white on accent.
          expect(contrastRatio(p.accent, CARD_COLOR), color).toBeGreaterThanOrEqual(4.5);
        }
      }
    }
  });

  it('keeps a brand colour that already reads well, so the page still looks like the tenant’s', () => {
    expect(brandPalette('#1F4E79')).toEqual({ background: '#1f4e79', onBackground: '#ffffff', accent: '#1f4e79' });
    expect(brandPalette('#777')).toEqual({ background: '#777777', onBackground: '#000000', accent: '#767676' });
  });
});
