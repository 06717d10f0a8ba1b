/**
 * Colours as chat and devices write them: people type `#rrggbb`; devices report and take
 * red, green and blue channels (0 to 255), as a list (Shelly's `rgb`) or an object
 * (Home Assistant's JSON lights, `{ r, g, b }`).
 */

/** `#rrggbb` (or `rrggbb`, any letter case) in lower case, or undefined when it is not. */
export function parseHexColor(text: string): string | undefined {
  const hex = /^#?([0-9a-f]{6})$/i.exec(text.trim());
  return hex ? `#${hex[1]!.toLowerCase()}` : undefined;
}

/** Three channels (0 to 255 each) as #rrggbb; anything else is undefined. */
export function hexOfChannels(channels: unknown): string | undefined {
  if (!Array.isArray(channels) || channels.length !== 3) return undefined;
  if (!channels.every((c) => typeof c === 'number' && c >= 0 && c <= 255)) return undefined;
  return '#' + channels.map((c: number) => Math.round(c).toString(16).padStart(2, '0')).join('');
}

/** The channels of a `#rrggbb` colour, as [r, g, b]. */
export function channelsOfHex(hex: string): [number, number, number] {
  const channel = (i: number) => parseInt(hex.slice(i, i + 2), 16);
  return [channel(1), channel(3), channel(5)];
}

/**
 * Hue (degrees) and saturation (%) as #rrggbb at full brightness: a light's brightness is a
 * property of its own, so the colour alone is shown (as Home Assistant shows hs colours).
 */
export function hexOfHs(hue: unknown, saturation: unknown): string | undefined {
  if (typeof hue !== 'number' || typeof saturation !== 'number') return undefined;
  if (!(saturation >= 0 && saturation <= 100) || !Number.isFinite(hue)) return undefined;
  const h = ((hue % 360) + 360) % 360 / 60;
  const s = saturation / 100;
  const channel = (n: number) => {
    const k = (n + h) % 6;
    return 255 * (1 - s * Math.max(0, Math.min(k, 4 - k, 1)));
  };
  return hexOfChannels([channel(5), channel(3), channel(1)]);
}

/** A colour's hue (degrees) and saturation (%), each to one decimal; its brightness is lost. */
export function hsOfHex(hex: string): { h: number; s: number } {
  const [r, g, b] = channelsOfHex(hex).map((c) => c / 255) as [number, number, number];
  const max = Math.max(r, g, b);
  const span = max - Math.min(r, g, b);
  let h = 0;
  if (span > 0) {
    if (max === r) h = ((g - b) / span + 6) % 6;
    else if (max === g) h = (b - r) / span + 2;
    else h = (r - g) / span + 4;
  }
  const round = (n: number) => Math.round(n * 10) / 10;
  return { h: round(h * 60), s: round(max === 0 ? 0 : (span / max) * 100) };
}

// sRGB (IEC 61966-2-1, D65 white) to CIE 1931 XYZ and back, on linear channels.
const SRGB_TO_XYZ = [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
  [0.0193, 0.1192, 0.9505]] as const;
const XYZ_TO_SRGB = [[3.2406, -1.5372, -0.4986], [-0.9689, 1.8758, 0.0415],
  [0.0557, -0.2040, 1.0570]] as const;

const linear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const encoded = (c: number) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);

/**
 * A CIE 1931 chromaticity (x, y) as #rrggbb: the colour at the brightest an sRGB screen
 * shows it, channels outside the sRGB gamut cut to 0.
 */
export function hexOfXy(x: unknown, y: unknown): string | undefined {
  if (typeof x !== 'number' || typeof y !== 'number') return undefined;
  if (!(x >= 0 && x <= 1 && y > 0 && y <= 1)) return undefined;
  const xyz = [x / y, 1, (1 - x - y) / y];
  const rgb = XYZ_TO_SRGB.map((row) => Math.max(0, row[0] * xyz[0]! + row[1] * xyz[1]!
    + row[2] * xyz[2]!));
  const max = Math.max(...rgb);
  if (max === 0) return undefined;
  return hexOfChannels(rgb.map((c) => encoded(c / max) * 255));
}

/** A colour's CIE 1931 chromaticity, each coordinate to four decimals (black: D65 white). */
export function xyOfHex(hex: string): { x: number; y: number } {
  const rgb = channelsOfHex(hex).map((c) => linear(c / 255));
  const [X, Y, Z] = SRGB_TO_XYZ.map((row) => row[0] * rgb[0]! + row[1] * rgb[1]!
    + row[2] * rgb[2]!) as [number, number, number];
  const sum = X + Y + Z;
  const round = (n: number) => Math.round(n * 10_000) / 10_000;
  return sum === 0 ? { x: 0.3127, y: 0.329 } : { x: round(X / sum), y: round(Y / sum) };
}

/** How a light takes and reports its colour: red, green, blue; hue, saturation; or CIE x, y. */
export type ColorSpace = 'rgb' | 'hs' | 'xy';

/** The colour space a light is commanded in: rgb where it has any rgb mode, else hs, else xy. */
export function colorSpaceOf(modes: string[]): ColorSpace | undefined {
  if (modes.some((m) => m === 'rgb' || m === 'rgbw' || m === 'rgbww')) return 'rgb';
  if (modes.includes('hs')) return 'hs';
  return modes.includes('xy') ? 'xy' : undefined;
}

type Channels = Record<string, unknown>;
const READERS: Record<ColorSpace, (c: Channels) => string | undefined> = {
  rgb: (c) => hexOfChannels([c.r, c.g, c.b]),
  hs: (c) => hexOfHs(c.h, c.s),
  xy: (c) => hexOfXy(c.x, c.y),
};

/**
 * A JSON light's colour object as #rrggbb: `{r, g, b}` (rgbw and rgbww add white channels,
 * not read here), `{h, s}` or `{x, y}`. Its colour mode says which it holds; without one, the
 * first that is there.
 */
export function hexOfColorObject(color: Channels, mode: unknown): string | undefined {
  const space = typeof mode === 'string' ? colorSpaceOf([mode]) : undefined;
  if (space) return READERS[space](color);
  return READERS.rgb(color) ?? READERS.hs(color) ?? READERS.xy(color);
}

/** A colour as a JSON light takes it in its space. */
export function colorObjectOfHex(hex: string, space: ColorSpace): Record<string, number> {
  if (space === 'hs') return hsOfHex(hex);
  if (space === 'xy') return xyOfHex(hex);
  const [r, g, b] = channelsOfHex(hex);
  return { r, g, b };
}

/** Home Assistant's text form of a colour ("255,136,0", "32,100", "0.5336,0.4145") as #rrggbb. */
export function hexOfColorText(text: string, space: ColorSpace): string | undefined {
  const numbers = text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  if (numbers.some((n) => !Number.isFinite(n))) return undefined;
  if (space === 'rgb') return numbers.length === 3 ? hexOfChannels(numbers) : undefined;
  if (numbers.length !== 2) return undefined;
  return space === 'hs' ? hexOfHs(numbers[0], numbers[1]) : hexOfXy(numbers[0], numbers[1]);
}

/**
 * A colour in Home Assistant's text form for its space, and the names its command templates
 * get the numbers under (red, green, blue; hue, sat; x, y).
 */
export function colorTextOfHex(hex: string, space: ColorSpace):
  { text: string; names: Record<string, number> } {
  const object = colorObjectOfHex(hex, space);
  const names = space === 'rgb' ? { red: object.r!, green: object.g!, blue: object.b! }
    : space === 'hs' ? { hue: object.h!, sat: object.s! } : object;
  return { text: Object.values(object).join(','), names };
}
