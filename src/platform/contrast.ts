/**
 * Colour contrast as WCAG 2.x defines it (relative luminance, contrast ratio), and the colours a branded
 * page derives from a tenant's background colour so that its text, links and buttons stay readable
 * whatever colour an administrator picks. Computed on the server: no page ships a script.
 */

/** WCAG 2.x success criterion 1.4.3 (level AA): normal-size text needs 4.5:1 against its background. */
export const AA_NORMAL_TEXT = 4.5;

const BLACK = '#000000';
const WHITE = '#ffffff';

type Rgb = readonly [number, number, number];

/** `#rgb` or `#rrggbb` as 0–255 channels; anything else (names, alpha, CSS functions) is not a colour we can judge. */
export function parseHexColor(color: string): Rgb | undefined {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color);
  if (!m) return undefined;
  const hex = m[1]!.length === 3 ? [...m[1]!].map((c) => c + c).join('') : m[1]!;
  return [0, 2, 4].map((i) => Number.parseInt(hex.slice(i, i + 2), 16)) as unknown as Rgb;
}

function toHex(rgb: Rgb): string {
  return `#${rgb.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function channel(value: number): number {
  const s = value / 255;
  // The sRGB transfer function with the 0.03928 threshold WCAG 2.x states.
  return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
}

function luminanceOf(rgb: Rgb): number {
  return 0.2126 * channel(rgb[0]) + 0.7152 * channel(rgb[1]) + 0.0722 * channel(rgb[2]);
}

function ratioOf(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminanceOf(a), luminanceOf(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

function mustParse(color: string): Rgb {
  const rgb = parseHexColor(color);
  if (!rgb) throw new TypeError(`not a #rgb or #rrggbb colour: ${color}`);
  return rgb;
}

/** Relative luminance of a colour, 0 (black) to 1 (white). */
export function relativeLuminance(color: string): number {
  return luminanceOf(mustParse(color));
}

/** The contrast ratio of two colours, 1 (none) to 21 (black on white); the order does not matter. */
export function contrastRatio(a: string, b: string): number {
  return ratioOf(mustParse(a), mustParse(b));
}

/** Black or white, whichever reads better on `background` (one of them always reaches 4.58:1). */
export function textColorOn(background: string): string {
  const bg = mustParse(background);
  return ratioOf([0, 0, 0], bg) >= ratioOf([255, 255, 255], bg) ? BLACK : WHITE;
}

/**
 * `color` itself when it already reaches `minimum` against `background`; otherwise the least darkened (or,
 * on a dark background, lightened) version of it that does, so a brand colour stays recognisable. Ends
 * at black or white at worst, which always passes 4.5:1 against one side.
 */
export function ensureContrast(color: string, background: string, minimum = AA_NORMAL_TEXT): string {
  const fg = mustParse(color);
  const bg = mustParse(background);
  if (ratioOf(fg, bg) >= minimum) return toHex(fg);
  const target = textColorOn(background) === BLACK ? 0 : 255;
  for (let step = 1; step <= 255; step++) {
    const t = step / 255;
    const mixed = fg.map((c) => Math.round(c + (target - c) * t)) as unknown as Rgb;
    if (ratioOf(mixed, bg) >= minimum) return toHex(mixed);
  }
  return toHex([target, target, target]);
}

/** The colours of a page branded with `backgroundColor`. */
export interface BrandPalette {
  /** The page behind the card: the tenant's colour as chosen. */
  background: string;
  /** Text and links set directly on that background (the footer). */
  onBackground: string;
  /** Links, button fills and outlined button text on the white card; white button text sits on it too. */
  accent: string;
}

/** The card every page's content sits on. */
export const CARD_COLOR = WHITE;

/** The palette for a tenant colour, or undefined when it is not a `#rgb`/`#rrggbb` colour (then the page is unbranded). */
export function brandPalette(backgroundColor: string | undefined | null): BrandPalette | undefined {
  if (!backgroundColor || !parseHexColor(backgroundColor)) return undefined;
  const background = toHex(mustParse(backgroundColor));
  return { background, onBackground: textColorOn(background), accent: ensureContrast(background, CARD_COLOR) };
}
