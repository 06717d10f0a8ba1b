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
