// Draws the page's icons (a white speech bubble with three dots on the page's orange) as PNGs,
// with no dependency: shapes sampled 4x4 per pixel, written with node's zlib. icon.svg is the
// same drawing by hand, for the tab. Run `node web/icons/generate.mjs` after changing it; the
// PNGs are committed (build-web does not run this, and leaves this file out of the site).
//
//   icon-192.png, icon-512.png                    "any": a rounded square, the bubble filling it
//   icon-maskable-192.png, icon-maskable-512.png  "maskable": the square to the edges (the system
//                                                 cuts its own shape), the bubble inside the
//                                                 central circle of 80% that always stays visible

import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ORANGE = [0xe8, 0x59, 0x0c]; // --accent in style.css
const WHITE = [0xff, 0xff, 0xff];

// Shapes in a unit square, as "is (x, y) inside" tests.
const roundedRect = (x0, y0, x1, y1, r) => (x, y) => {
  const dx = Math.max(x0 + r - x, 0, x - (x1 - r));
  const dy = Math.max(y0 + r - y, 0, y - (y1 - r));
  return x >= x0 && x <= x1 && y >= y0 && y <= y1 && dx * dx + dy * dy <= r * r;
};
const circle = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const triangle = (ax, ay, bx, by, cx, cy) => (x, y) => {
  const side = (px, py, qx, qy) => (qx - px) * (y - py) - (qy - py) * (x - px);
  const s1 = side(ax, ay, bx, by);
  const s2 = side(bx, by, cx, cy);
  const s3 = side(cx, cy, ax, ay);
  return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
};

/** The bubble and its dots, centred, scaled by `k` about the centre. */
function foreground(k) {
  const t = (v) => 0.5 + (v - 0.5) * k;
  const bubble = [
    roundedRect(t(0.18), t(0.22), t(0.82), t(0.68), 0.13 * k),
    triangle(t(0.28), t(0.62), t(0.46), t(0.62), t(0.24), t(0.82)),
  ];
  const dots = [0.34, 0.5, 0.66].map((cx) => circle(t(cx), t(0.45), 0.055 * k));
  return (x, y) => (dots.some((d) => d(x, y)) ? ORANGE : bubble.some((b) => b(x, y)) ? WHITE : null);
}

/** RGBA pixels of the icon: `background(x, y)` says whether the orange shows there. */
function draw(size, background, front) {
  const px = Buffer.alloc(size * size * 4);
  const n = 4; // samples per axis
  for (let py = 0; py < size; py++) {
    for (let pxi = 0; pxi < size; pxi++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (pxi + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          const c = front(x, y) ?? (background(x, y) ? ORANGE : null);
          if (c === null) continue;
          r += c[0]; g += c[1]; b += c[2]; a += 255;
        }
      }
      const i = (py * size + pxi) * 4;
      const covered = a / 255;
      px[i] = covered ? Math.round(r / covered) : 0;
      px[i + 1] = covered ? Math.round(g / covered) : 0;
      px[i + 2] = covered ? Math.round(b / covered) : 0;
      px[i + 3] = Math.round(a / (n * n));
    }
  }
  return px;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, k) => {
  let c = k;
  for (let i = 0; i < 8; i++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG (8-bit RGBA, no interlace) of `size` x `size` pixels. */
function png(size, rgba) {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 6, 0, 0, 0], 8); // bit depth 8, colour type RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1)); // each row: filter byte 0, then the pixels
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const here = dirname(fileURLToPath(import.meta.url));
const rounded = roundedRect(0, 0, 1, 1, 0.22);
const fullBleed = () => true;
for (const size of [192, 512]) {
  writeFileSync(join(here, `icon-${size}.png`), png(size, draw(size, rounded, foreground(1))));
  // Maskable: the bubble (reaching 0.42 from the centre at full scale) shrunk into the 0.4 circle.
  writeFileSync(join(here, `icon-maskable-${size}.png`), png(size, draw(size, fullBleed, foreground(0.78))));
}
console.log(`icons written to ${here}`);
