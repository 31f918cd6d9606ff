#!/usr/bin/env node
// Writes the example announcement prompts (config/prompts/*.wav) that customer-first callback
// queues play while an agent is found: 8 kHz 16-bit mono WAV, which rtpengine's player reads and
// sends as G.711 without resampling. They are chimes, one melody per language so a listener (or a
// test) can tell which was played; a real deployment records spoken prompts in their place.
// Usage: node scripts/make-prompts.mjs [folder]   (default: config/prompts)
import { Buffer } from 'node:buffer';
import { mkdirSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const RATE = 8000;
const dir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'config', 'prompts'));

/** Notes in Hz, each 400 ms with a soft attack and release, then a pause. */
const MELODIES = { en: [523, 659, 784], fr: [587, 740, 880], it: [494, 622, 740] };

function wav(notes) {
  const note = 0.4 * RATE;
  const total = notes.length * note + 1.6 * RATE;
  const pcm = Buffer.alloc(total * 2);
  notes.forEach((hz, n) => {
    for (let i = 0; i < note; i++) {
      const env = Math.min(1, i / 400, (note - i) / 800);
      pcm.writeInt16LE(Math.round(6000 * env * Math.sin((2 * Math.PI * hz * i) / RATE)), (n * note + i) * 2);
    }
  });
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + pcm.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(RATE, 24);
  h.writeUInt32LE(RATE * 2, 28);
  h.writeUInt16LE(2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([h, pcm]);
}

mkdirSync(dir, { recursive: true });
for (const [lang, notes] of Object.entries(MELODIES)) {
  const file = path.join(dir, `callback-connecting.${lang}.wav`);
  writeFileSync(file, wav(notes));
  process.stdout.write(`${file}\n`);
}
