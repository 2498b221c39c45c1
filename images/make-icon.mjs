// Draws images/icon.png (128x128 RGBA) with nothing but node:zlib:
// a rounded dark-blue tile, a brick firewall, and above it a row of eight
// mark bits with 0x40 (the kube-proxy masquerade bit, 0x4000 >> 8) lit.
// Run: node images/make-icon.mjs
import { deflateSync } from 'node:zlib';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const N = 128;
const SS = 4; // supersampling per axis

const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];
const TOP = hex('#1d3b63');
const BOTTOM = hex('#0e1c30');
const BRICK = hex('#e2572b');
const BRICK_DARK = hex('#b8401b');
const BIT_ON = hex('#ffd34d');
const BIT_OFF = hex('#3c5a82');

function roundedRect(x, y, x0, y0, x1, y1, r) {
  if (x < x0 || x > x1 || y < y0 || y > y1) return false;
  const cx = Math.min(Math.max(x, x0 + r), x1 - r);
  const cy = Math.min(Math.max(y, y0 + r), y1 - r);
  return (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
}

/** Colour of the continuous point (x, y) in 0..128, or null outside the tile. */
function sample(x, y) {
  if (!roundedRect(x, y, 4, 4, 124, 124, 22)) return null;
  const t = (y - 4) / 120;
  let c = TOP.map((v, i) => v + (BOTTOM[i] - v) * t);
  // Mark bits: eight cells, bit 6 (0x40) lit.
  const bitsX0 = 14.75,
    bitW = 11,
    gap = 1.5,
    bitsY0 = 22,
    bitH = 18;
  for (let i = 0; i < 8; i++) {
    const bx = bitsX0 + i * (bitW + gap);
    if (roundedRect(x, y, bx, bitsY0, bx + bitW, bitsY0 + bitH, 2.5)) {
      c = i === 1 ? BIT_ON : BIT_OFF;
    }
  }
  // A brick wall: four courses, offset every other one.
  const wallX0 = 18,
    wallX1 = 110,
    wallY0 = 54,
    courseH = 13,
    mortar = 2.2,
    brickW = 23;
  if (x >= wallX0 && x <= wallX1 && y >= wallY0 && y < wallY0 + 4 * courseH) {
    const course = Math.floor((y - wallY0) / courseH);
    const yIn = y - wallY0 - course * courseH;
    const shift = course % 2 ? brickW / 2 : 0;
    const xIn = (((x - wallX0 + shift) % brickW) + brickW) % brickW;
    if (yIn > mortar && xIn > mortar) c = (course + Math.floor((x - wallX0 + shift) / brickW)) % 3 === 0 ? BRICK_DARK : BRICK;
  }
  return c;
}

const rgba = Buffer.alloc(N * N * 4);
for (let py = 0; py < N; py++) {
  for (let px = 0; px < N; px++) {
    let r = 0,
      g = 0,
      b = 0,
      a = 0;
    for (let sy = 0; sy < SS; sy++) {
      for (let sx = 0; sx < SS; sx++) {
        const c = sample(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
        if (c) {
          r += c[0];
          g += c[1];
          b += c[2];
          a++;
        }
      }
    }
    const o = (py * N + px) * 4;
    if (a) {
      rgba[o] = Math.round(r / a);
      rgba[o + 1] = Math.round(g / a);
      rgba[o + 2] = Math.round(b / a);
    }
    rgba[o + 3] = Math.round((255 * a) / (SS * SS));
  }
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
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

const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(N, 0);
ihdr.writeUInt32BE(N, 4);
ihdr[8] = 8; // bit depth
ihdr[9] = 6; // RGBA
const raw = Buffer.alloc(N * (N * 4 + 1));
for (let y = 0; y < N; y++) {
  raw[y * (N * 4 + 1)] = 0; // filter: none
  rgba.copy(raw, y * (N * 4 + 1) + 1, y * N * 4, (y + 1) * N * 4);
}
const png = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  chunk('IHDR', ihdr),
  chunk('IDAT', deflateSync(raw, { level: 9 })),
  chunk('IEND', Buffer.alloc(0)),
]);
const out = fileURLToPath(new URL('./icon.png', import.meta.url));
writeFileSync(out, png);
console.log(`wrote ${out} (${png.length} bytes)`);
