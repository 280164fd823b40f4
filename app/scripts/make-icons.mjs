// Writes the PWA's PNG icons (public/icon-192.png, icon-512.png) with zlib only: a teal rounded square with a
// white ring and bar (the "D" of public/icon.svg, drawn by distance tests). Run once: node scripts/make-icons.mjs
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
};

function icon(size) {
  const teal = [15, 118, 110, 255];
  const white = [255, 255, 255, 255];
  const clear = [0, 0, 0, 0];
  const rows = [];
  const r = size * 0.22; // corner radius
  for (let y = 0; y < size; y++) {
    const row = [0]; // filter: none
    for (let x = 0; x < size; x++) {
      const px = x + 0.5, py = y + 0.5;
      const cx = Math.min(Math.max(px, r), size - r), cy = Math.min(Math.max(py, r), size - r);
      const inside = Math.hypot(px - cx, py - cy) <= r;
      let colour = inside ? teal : clear;
      if (inside) {
        // The "D": a vertical bar and a half ring.
        const u = px / size, v = py / size;
        const bar = u >= 0.3 && u <= 0.4 && v >= 0.26 && v <= 0.74;
        const d = Math.hypot(u - 0.42, v - 0.5);
        const ring = u >= 0.35 && d >= 0.16 && d <= 0.24;
        const caps = u >= 0.3 && u <= 0.42 && ((v >= 0.26 && v <= 0.34) || (v >= 0.66 && v <= 0.74));
        if (bar || ring || caps) colour = white;
      }
      row.push(...colour);
    }
    rows.push(Buffer.from(row));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
  return png;
}

for (const size of [192, 512]) {
  const file = new URL(`../public/icon-${size}.png`, import.meta.url);
  writeFileSync(file, icon(size));
  console.log(`wrote ${file.pathname}`);
}
