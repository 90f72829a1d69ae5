/** RGB 0–255 triples ↔ the '#rrggbb' strings colour inputs use. */
export type Rgb = [number, number, number];

export const rgbToHex = (c: Rgb): string => `#${c.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

export const hexToRgb = (h: string): Rgb => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)) as Rgb;
