import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import PDFDocument from 'pdfkit';
import * as fontkit from 'fontkit';
import { textIn } from '../../kernel/config/schema.js';
import type { Font } from 'fontkit';
import type { InteractionRecord } from './service.js';

/**
 * Visitors write in every script. DejaVu Sans (Debian's fonts-dejavu-core) covers Latin, Greek,
 * Cyrillic and more; Droid Sans Fallback (fonts-droid-fallback) covers Chinese, Japanese and
 * Korean, and is used character by character where DejaVu has no glyph. The start script and the
 * Docker image install both; without them the PDF falls back to the built-in Helvetica, which
 * only covers Latin-1, and anything else prints as "?".
 */
const DEJAVU = '/usr/share/fonts/truetype/dejavu';
const FONTS = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf', italic: 'DejaVuSans-Oblique.ttf' } as const;
const FALLBACK = '/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf';
type Style = keyof typeof FONTS;

export interface FontSet {
  paths: Record<Style, string> | null;
  covers: (cp: number) => boolean;
  fallback: { path: string; covers: (cp: number) => boolean } | null;
}

/** Which fonts this machine has, looked up once per history context (the first transcript asked for). */
export function transcriptFonts(): () => FontSet {
  let found: FontSet | undefined;
  return () => (found ??= findFonts());
}

function findFonts(): FontSet {
  const paths = Object.fromEntries(Object.entries(FONTS).map(([k, f]) => [k, path.join(DEJAVU, f)])) as Record<Style, string>;
  const main = Object.values(paths).every((p) => existsSync(p)) ? (fontkit.openSync(paths.regular) as Font) : null;
  const fb = existsSync(FALLBACK) ? (fontkit.openSync(FALLBACK) as Font) : null;
  return {
    paths: main ? paths : null,
    covers: main ? (cp) => main.hasGlyphForCodePoint(cp) : (cp) => cp === 9 || cp === 10 || cp === 13 || (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa0 && cp <= 0xff),
    fallback: main && fb ? { path: FALLBACK, covers: (cp) => fb.hasGlyphForCodePoint(cp) } : null,
  };
}

/** Splits text into runs of the main font and of the fallback font; what neither has becomes "?". */
function runs(text: string, f: FontSet): { fallback: boolean; text: string }[] {
  const out: { fallback: boolean; text: string }[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    let fallback = false;
    let c = ch;
    if (!f.covers(cp)) {
      if (f.fallback?.covers(cp)) fallback = true;
      else c = '?';
    }
    const last = out[out.length - 1];
    if (last && last.fallback === fallback) last.text += c;
    else out.push({ fallback, text: c });
  }
  return out;
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg']);
const MAX_INLINE_IMAGE_BYTES = 8 * 1024 * 1024;

export interface TranscriptOptions {
  attachments: boolean;
  /** Where chat files are stored (config storage.uploadsDir). */
  filesDir: string;
  timeZone: string;
  generatedBy: string;
  fonts: () => FontSet;
}

const KIND_LABEL: Record<string, string> = { visitor: 'Customer', agent: 'Agent', bot: 'Bot', system: 'System', note: 'Internal note' };

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * The transcript of one interaction as a PDF: details, every message (internal notes marked as
 * such), calls and the timeline; with `attachments`, the chat's files are embedded in the PDF
 * (images also drawn inline). Everything a visitor wrote is drawn as text, never interpreted.
 */
export async function renderTranscript(r: InteractionRecord, opts: TranscriptOptions): Promise<Buffer> {
  const f = opts.fonts();
  const fmt = new Intl.DateTimeFormat('en-GB', { timeZone: opts.timeZone, dateStyle: 'medium', timeStyle: 'medium' });
  const time = (d: Date | null) => (d ? fmt.format(d) : '—');

  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    bufferPages: true,
    info: { Title: `Transcript ${r.item.id}`, Author: 'Switchboard', Subject: `${r.item.channel} interaction`, Creator: 'Switchboard' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  if (f.paths) {
    doc.registerFont('regular', f.paths.regular);
    doc.registerFont('bold', f.paths.bold);
    doc.registerFont('italic', f.paths.italic);
    if (f.fallback) doc.registerFont('fallback', f.fallback.path);
  } else {
    doc.registerFont('regular', 'Helvetica');
    doc.registerFont('bold', 'Helvetica-Bold');
    doc.registerFont('italic', 'Helvetica-Oblique');
  }
  const width = doc.page.width - 100;
  /** Writes text in a style, switching to the fallback font for the characters that need it. */
  const write = (style: Style, text: string, o: PDFKit.Mixins.TextOptions = {}) => {
    const parts = runs(text, f);
    parts.forEach((p, i) => {
      doc.font(p.fallback ? 'fallback' : style).text(p.text, { width, ...o, continued: i < parts.length - 1 ? true : (o.continued ?? false) });
    });
    doc.font(style);
  };

  doc.font('bold').fontSize(18).text('Transcript', { continued: false });
  doc.fontSize(9).fillColor('#555');
  write('regular', `Interaction ${r.item.id} · generated ${time(new Date())} (${opts.timeZone}) by ${opts.generatedBy}`);
  doc.moveDown();

  const details: [string, string][] = [
    ['Channel', r.item.channel],
    ['Queue', r.item.queueName ? textIn(r.item.queueName) : '—'],
    ['Customer', [r.item.contactName, r.item.contactEmail].filter(Boolean).join(' · ') || '—'],
    ['Agents', r.item.agentNames.join(', ') || '—'],
    ['Started', time(r.interaction.createdAt)],
    ['Closed', time(r.interaction.closedAt)],
    ['Outcome', [r.item.state, r.item.disposition].filter(Boolean).join(' · ')],
  ];
  if (r.item.subject) details.push(['Subject', r.item.subject]);
  for (const [k, v] of details) {
    doc.fillColor('#000').fontSize(10);
    write('bold', `${k}: `, { continued: true });
    write('regular', v);
  }

  if (r.messages.length) {
    doc.moveDown().font('bold').fontSize(13).fillColor('#000').text('Conversation');
    doc.moveDown(0.3);
    const filesOf = new Map<string, typeof r.attachments>();
    for (const a of r.attachments) if (a.messageId) filesOf.set(a.messageId, [...(filesOf.get(a.messageId) ?? []), a]);
    for (const m of r.messages) {
      const note = m.authorKind === 'note';
      const label = KIND_LABEL[m.authorKind] ?? m.authorKind;
      const who = m.authorName ? `${m.authorName} (${label})` : label;
      doc.fontSize(9).fillColor(note ? '#8a6d00' : '#333');
      write('bold', `${time(m.createdAt)}  ${who}`);
      doc.fontSize(10).fillColor(note ? '#8a6d00' : '#000');
      if (m.body) write(note || m.authorKind === 'system' ? 'italic' : 'regular', m.body);
      for (const a of filesOf.get(m.id) ?? []) {
        doc.fontSize(9).fillColor('#555');
        write('italic', `Attachment: ${a.fileName} (${a.detectedType}, ${kb(a.size)}, sha256 ${a.sha256.slice(0, 16)}…)`);
      }
      doc.moveDown(0.4);
    }
  }

  if (r.calls.length) {
    doc.moveDown().font('bold').fontSize(13).fillColor('#000').text('Calls');
    for (const { call, legs } of r.calls) {
      doc.fontSize(10);
      write('regular', `${call.video ? 'Video call' : 'Call'} (${call.kind}) · set up ${time(call.setupAt)} · answered ${time(call.answeredAt)} · ended ${time(call.endedAt)}${call.endCause ? ` · ${call.endCause}` : ''}`);
      doc.fontSize(9).fillColor('#555');
      for (const l of legs) write('regular', `  leg ${l.side} ${l.direction} ${l.remoteUri} · ${l.finalStatus ?? '—'} ${l.cause ?? ''}`);
      doc.fillColor('#000');
    }
  }

  if (r.journey.length) {
    doc.moveDown().font('bold').fontSize(13).fillColor('#000').text('Timeline');
    for (const e of r.journey) doc.font('regular').fontSize(9).text(`${time(e.at)}  ${e.type}`);
  }

  const attached = r.attachments.filter((a) => a.messageId);
  if (opts.attachments && attached.length) {
    doc.addPage().font('bold').fontSize(13).fillColor('#000').text('Attachments');
    doc.font('regular').fontSize(9).text('The files are embedded in this PDF (see your reader’s attachments panel).');
    for (const a of attached) {
      const file = path.join(opts.filesDir, a.storageKey);
      const data = await readFile(file).catch(() => null);
      doc.moveDown(0.5).fontSize(10);
      write('bold', a.fileName);
      if (!data) {
        doc.font('italic').fontSize(9).text('The file is no longer stored.');
        continue;
      }
      doc.file(data, { name: a.fileName, type: a.detectedType, description: `sha256 ${a.sha256}`, creationDate: a.createdAt });
      if (IMAGE_TYPES.has(a.detectedType) && data.length <= MAX_INLINE_IMAGE_BYTES) {
        try {
          doc.image(data, { fit: [width, 300] });
        } catch {
          doc.font('italic').fontSize(9).text('This image could not be drawn; it is embedded as a file.');
        }
      }
    }
  }

  const range = doc.bufferedPageRange();
  for (let i = range.start; i < range.start + range.count; i++) {
    doc.switchToPage(i);
    // Below the bottom margin pdfkit would start a new page for the footer.
    doc.page.margins.bottom = 0;
    doc.font('regular').fontSize(8).fillColor('#888').text(`${r.item.id} · page ${i + 1} of ${range.count}`, 50, doc.page.height - 40, { width, align: 'center', lineBreak: false });
  }
  doc.end();
  return done;
}
