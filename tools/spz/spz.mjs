#!/usr/bin/env node
// Write or read a Niantic .spz file with the pinned @adobe/spz package (Niantic's reference
// spz library as WebAssembly). The splats travel as raw little-endian float32 files in DIR:
//
//   node tools/spz/spz.mjs write DIR OUT.spz     DIR/header.json {"numPoints": N} and
//                                                positions (N*3), scales (N*3, natural log),
//                                                rotations (N*4, x y z w), alphas (N, logit),
//                                                colors (N*3, SH degree-0 coefficients) .f32
//   node tools/spz/spz.mjs read IN.spz DIR       the same files back, header.json with
//                                                numPoints, shDegree, antialiased
//
// Coordinates are glTF's (right, up, back: RUB), which is also SPZ's own frame.
// Exit status: 0 done, 1 the library failed (message on stderr), 2 bad arguments.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ATTRS = { positions: 3, scales: 3, rotations: 4, alphas: 1, colors: 3 };

function usage(msg) {
  process.stderr.write(`spz.mjs: ${msg}\nusage: node spz.mjs write DIR OUT.spz | read IN.spz DIR\n`);
  process.exit(2);
}

function f32(path, count) {
  const buf = readFileSync(path);
  if (buf.length !== count * 4) usage(`${path} has ${buf.length} bytes, not ${count * 4}`);
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
}

const [verb, a, b, ...extra] = process.argv.slice(2);
if (extra.length || !a || !b || !['write', 'read'].includes(verb)) usage('need write DIR OUT.spz or read IN.spz DIR');
// The library logs its progress with console.log: keep stdout clean, send it to stderr.
console.log = (...parts) => process.stderr.write(parts.join(' ') + '\n');
const { default: createSpzModule } = await import('@adobe/spz');
try {
  const spz = await createSpzModule();
  const rub = spz.CoordinateSystem.RUB;
  if (verb === 'write') {
    const { numPoints } = JSON.parse(readFileSync(join(a, 'header.json'), 'utf8'));
    if (!(Number.isInteger(numPoints) && numPoints > 0)) usage('header.json needs numPoints > 0');
    const cloud = { numPoints, shDegree: 0, antialiased: false, extensions: [], sh: new Float32Array(0) };
    for (const [name, width] of Object.entries(ATTRS)) cloud[name] = f32(join(a, `${name}.f32`), numPoints * width);
    const out = spz.saveSpzToBuffer(cloud, { version: spz.LATEST_SPZ_HEADER_VERSION, from: rub, sh1Bits: 5, shRestBits: 4 });
    if (!out || !out.length) throw new Error('saveSpzToBuffer wrote nothing');
    writeFileSync(b, out);
  } else {
    const cloud = spz.loadSpzFromBuffer(new Uint8Array(readFileSync(a)), { to: rub });
    if (!cloud || !(cloud.numPoints > 0)) throw new Error(`${a} holds no splats`);
    mkdirSync(b, { recursive: true });
    for (const name of Object.keys(ATTRS)) writeFileSync(join(b, `${name}.f32`), new Uint8Array(cloud[name].buffer, cloud[name].byteOffset, cloud[name].byteLength));
    writeFileSync(join(b, 'header.json'), JSON.stringify({ numPoints: cloud.numPoints, shDegree: cloud.shDegree, antialiased: cloud.antialiased }));
  }
} catch (err) {
  process.stderr.write(`spz.mjs: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
}
