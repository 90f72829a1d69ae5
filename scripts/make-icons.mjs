// Draws Delineate's application icon (original work of this project, see resources/LICENSE-icons.txt):
// a dark rounded square, a white ring (an axial slice outline) and a
// teal region with a bright contour crossing it: an image slice with a delineated structure.
// Writes resources/icon.png (1024x1024) and resources/icon.ico (PNG-compressed 256..16 px images).
// Our own PNG encoder (node:zlib deflate, CRC-32) and ICO writer; no image libraries.
// Usage: node scripts/make-icons.mjs [outDir]   (default: resources)
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const outDir = process.argv[2] ?? 'resources';

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}
/** RGBA (8 bit, non-interlaced) PNG. */
export function encodePng(width, height, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (width * 4 + 1)] = 0; // filter: none
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (width * 4 + 1) + 1);
  }
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk('IHDR', header), chunk('IDAT', zlib.deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}
/** An ICO whose images are PNGs (Windows Vista and later). */
export function encodeIco(images) {
  const head = Buffer.alloc(6 + 16 * images.length);
  head.writeUInt16LE(0, 0);
  head.writeUInt16LE(1, 2);
  head.writeUInt16LE(images.length, 4);
  let offset = head.length;
  images.forEach(({ size, png }, i) => {
    const e = 6 + 16 * i;
    head[e] = size >= 256 ? 0 : size;
    head[e + 1] = size >= 256 ? 0 : size;
    head.writeUInt16LE(1, e + 4); // planes
    head.writeUInt16LE(32, e + 6); // bits per pixel
    head.writeUInt32LE(png.length, e + 8);
    head.writeUInt32LE(offset, e + 12);
    offset += png.length;
  });
  return Buffer.concat([head, ...images.map((i) => i.png)]);
}

// The drawing, in unit coordinates (0..1, y down). Each layer: coverage(x, y) -> [0, 1] and a colour.
const roundedSquare = (x, y) => {
  const r = 0.2, m = 0.04;
  const dx = Math.max(m + r - x, 0, x - (1 - m - r));
  const dy = Math.max(m + r - y, 0, y - (1 - m - r));
  return Math.hypot(dx, dy) <= r ? 1 : 0;
};
const ring = (x, y) => {
  const d = Math.hypot((x - 0.5) / 0.34, (y - 0.5) / 0.4);
  return d <= 1 && d >= 0.88 ? 1 : 0;
};
// a lobed region: radius varying with angle
const blobRadius = (a) => 0.17 + 0.035 * Math.sin(3 * a + 0.6) + 0.02 * Math.cos(5 * a);
const blob = (x, y) => {
  const dx = x - 0.52, dy = y - 0.54;
  return Math.hypot(dx, dy) <= blobRadius(Math.atan2(dy, dx)) ? 1 : 0;
};
const blobEdge = (x, y) => {
  const dx = x - 0.52, dy = y - 0.54;
  const d = Math.hypot(dx, dy) - blobRadius(Math.atan2(dy, dx));
  return Math.abs(d) <= 0.018 ? 1 : 0;
};
const LAYERS = [
  { cover: roundedSquare, colour: (x, y) => [18 + 20 * y, 32 + 30 * y, 58 + 40 * (1 - x)] },
  { cover: (x, y) => roundedSquare(x, y) * ring(x, y), colour: () => [232, 238, 245] },
  { cover: blob, colour: () => [22, 160, 150], alpha: 0.75 },
  { cover: blobEdge, colour: () => [250, 212, 70] },
];

export function drawIcon(size, samples = 4) {
  const rgba = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < samples; sy++) {
        for (let sx = 0; sx < samples; sx++) {
          const x = (px + (sx + 0.5) / samples) / size, y = (py + (sy + 0.5) / samples) / size;
          let cr = 0, cg = 0, cb = 0, ca = 0; // premultiplied "over" compositing
          for (const layer of LAYERS) {
            const cov = layer.cover(x, y) * (layer.alpha ?? 1);
            if (!cov) continue;
            const [lr, lg, lb] = layer.colour(x, y);
            cr = lr * cov + cr * (1 - cov);
            cg = lg * cov + cg * (1 - cov);
            cb = lb * cov + cb * (1 - cov);
            ca = cov + ca * (1 - cov);
          }
          r += cr; g += cg; b += cb; a += ca;
        }
      }
      const n = samples * samples, o = (py * size + px) * 4;
      rgba[o + 3] = Math.round((a / n) * 255);
      if (a > 0) {
        rgba[o] = Math.round(r / a);
        rgba[o + 1] = Math.round(g / a);
        rgba[o + 2] = Math.round(b / a);
      }
    }
  }
  return rgba;
}

fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'icon.png'), encodePng(1024, 1024, drawIcon(1024, 3)));
const ico = [256, 128, 64, 48, 32, 16].map((size) => ({ size, png: encodePng(size, size, drawIcon(size, 6)) }));
fs.writeFileSync(path.join(outDir, 'icon.ico'), encodeIco(ico));
console.log(`make-icons: ${path.join(outDir, 'icon.png')} (1024x1024), ${path.join(outDir, 'icon.ico')} (${ico.map((i) => i.size).join(', ')} px)`);
