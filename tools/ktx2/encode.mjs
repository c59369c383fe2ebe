#!/usr/bin/env node
// Encode one raw RGBA8 image as a KTX2 file (Basis Universal ETC1S, sRGB, with mipmaps)
// with the pinned ktx2-encoder package (Basis Universal's encoder compiled to WebAssembly).
//
//   node tools/ktx2/encode.mjs IN.rgba WIDTH HEIGHT OUT.ktx2 [--quality 1..255]
//
// IN.rgba holds WIDTH*HEIGHT*4 bytes, rows top to bottom. The encoder's progress lines go
// to stderr; nothing but errors is printed. Exit status: 0 written, 1 the encoder failed,
// 2 bad arguments.
import { readFileSync, writeFileSync } from 'node:fs';

function usage(msg) {
  process.stderr.write(`encode.mjs: ${msg}\nusage: node encode.mjs IN.rgba WIDTH HEIGHT OUT.ktx2 [--quality 1..255]\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
let quality = 128;
const qi = args.indexOf('--quality');
if (qi >= 0) {
  quality = Number(args[qi + 1]);
  args.splice(qi, 2);
  if (!(Number.isInteger(quality) && quality >= 1 && quality <= 255)) usage('--quality wants 1..255');
}
if (args.length !== 4) usage('need IN.rgba WIDTH HEIGHT OUT.ktx2');
const [input, w, h, output] = args;
const width = Number(w);
const height = Number(h);
if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) usage('WIDTH and HEIGHT are positive integers');
const data = new Uint8Array(readFileSync(input));
if (data.length !== width * height * 4) usage(`${input} has ${data.length} bytes, not ${width}*${height}*4`);

// The WebAssembly encoder prints its progress with console.log: send it to stderr.
console.log = (...parts) => process.stderr.write(parts.join(' ') + '\n');
const { encodeToKTX2 } = await import('ktx2-encoder');
try {
  const out = await encodeToKTX2(new Uint8Array(0), {
    isUASTC: false, // ETC1S: the small Basis mode (a few bits per texel), transcoded on load
    qualityLevel: quality,
    compressionLevel: 0, // encoder effort 0..6: 0 was the smallest and fastest on photos
    generateMipmap: true,
    isPerceptual: true, // a photo's colours, sRGB
    isSetKTX2SRGBTransferFunc: true,
    isYFlip: false,
    enableDebug: false,
    imageDecoder: async () => ({ width, height, data }),
  });
  writeFileSync(output, out);
} catch (err) {
  process.stderr.write(`encode.mjs: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
}
