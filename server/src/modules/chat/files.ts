import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import type { Context } from 'koa';
import { IsNull } from 'typeorm';
import { HttpError, badRequest, notFound } from '../../kernel/http/errors.js';
import { newId } from '../../kernel/db/ids.js';
import type { Website } from '../../kernel/config/schema.js';
import type { Attachment } from './message.entity.js';
import type { ChatService } from './service.js';
import { extensionOf } from '../intake/index.js';

const HEAD_BYTES = 16;

/** What a file's first bytes must look like for each extension we know; the content decides, not the name. */
const SIGNATURES: Record<string, { type: string; test: (head: Buffer, all?: Buffer) => boolean }> = {
  '.pdf': { type: 'application/pdf', test: (h) => h.subarray(0, 5).toString('latin1') === '%PDF-' },
  '.png': { type: 'image/png', test: (h) => h.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  '.jpg': { type: 'image/jpeg', test: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  '.jpeg': { type: 'image/jpeg', test: (h) => h[0] === 0xff && h[1] === 0xd8 && h[2] === 0xff },
  '.gif': { type: 'image/gif', test: (h) => ['GIF87a', 'GIF89a'].includes(h.subarray(0, 6).toString('latin1')) },
  '.webp': { type: 'image/webp', test: (h) => h.subarray(0, 4).toString('latin1') === 'RIFF' && h.subarray(8, 12).toString('latin1') === 'WEBP' },
  '.zip': { type: 'application/zip', test: (h) => h.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) },
  '.docx': { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', test: (h) => h.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) },
  '.xlsx': { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', test: (h) => h.subarray(0, 4).equals(Buffer.from([0x50, 0x4b, 0x03, 0x04])) },
  '.txt': { type: 'text/plain; charset=utf-8', test: (_h, all) => isText(all) },
  '.csv': { type: 'text/csv; charset=utf-8', test: (_h, all) => isText(all) },
};
const TEXT_SNIFF_BYTES = 64 * 1024;

function isText(b: Buffer | undefined): boolean {
  if (!b) return false;
  if (b.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b.length === TEXT_SNIFF_BYTES ? trimPartial(b) : b);
    return true;
  } catch {
    return false;
  }
}

/** A sniffed prefix may end inside a multi-byte character; drop that tail before decoding. */
function trimPartial(b: Buffer): Buffer {
  const end = b.length;
  for (let k = 1; k <= 3 && end - k >= 0; k++) {
    const c = b[end - k]!;
    if ((c & 0xc0) === 0xc0) return b.subarray(0, end - k);
    if ((c & 0x80) === 0) break;
  }
  return b;
}

/**
 * Chat files: streamed to disk while hashed and size-checked (an over-size upload is cut off as
 * soon as it passes the limit), then checked by extension and content, then recorded. The file
 * waits unattached until a message carries it; only the chat's participants can download it.
 */
export class ChatFiles {
  constructor(private readonly chat: ChatService) {}

  private get dir(): string {
    return path.resolve(this.chat.s.config().main.storage.uploadsDir);
  }

  async upload(ctx: Context, website: Website | null, interactionId: string, by: 'visitor' | 'agent'): Promise<Attachment> {
    const limits = website?.uploads ?? { maxFileBytes: 5 * 1024 * 1024, maxFiles: 5, acceptedTypes: Object.keys(SIGNATURES) };
    const name = typeof ctx.query.name === 'string' ? path.basename(ctx.query.name).slice(0, 255) : '';
    if (!name) throw badRequest('Give the file name: ?name=<file name>.', [{ field: 'name', problem: 'is required' }]);
    const ext = extensionOf(name);
    if (!limits.acceptedTypes.includes(ext)) {
      throw new HttpError(400, 'file_type_not_accepted', `Files of type "${ext || 'none'}" are not accepted; send one of ${limits.acceptedTypes.join(', ')}.`, [{ field: 'name', problem: `type must be one of ${limits.acceptedTypes.join(', ')}` }]);
    }
    const declared = Number(ctx.get('content-length') || NaN);
    const tooBig = () => new HttpError(413, 'file_too_large', `"${name}" is larger than the ${formatBytes(limits.maxFileBytes)} limit per file.`, [{ field: 'file', problem: `larger than ${limits.maxFileBytes} bytes` }]);
    if (declared > limits.maxFileBytes) {
      ctx.set('Connection', 'close');
      throw tooBig();
    }
    const waiting = await this.chat.store.attachments.countBy({ interactionId, messageId: IsNull(), uploadedByKind: by });
    if (waiting >= limits.maxFiles) throw new HttpError(413, 'too_many_files', `At most ${limits.maxFiles} files can be sent at once; send or remove some first.`, [{ field: 'file', problem: `more than ${limits.maxFiles} files` }]);

    mkdirSync(path.join(this.dir, 'tmp'), { recursive: true });
    const id = newId();
    const tmp = path.join(this.dir, 'tmp', id);
    const hash = createHash('sha256');
    let size = 0;
    let sniff = Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        // Cut off as soon as the limit is passed: the rest of the body is never written.
        if (size > limits.maxFileBytes) return done(tooBig());
        if (sniff.length < TEXT_SNIFF_BYTES) sniff = Buffer.concat([sniff, chunk.subarray(0, TEXT_SNIFF_BYTES - sniff.length)]);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const out = createWriteStream(tmp);
    const closed = new Promise<void>((r) => out.once('close', () => r()));
    try {
      await pipeline(ctx.req, meter, out);
    } catch (err) {
      await closed;
      await rm(tmp, { force: true });
      if (err instanceof HttpError) {
        ctx.set('Connection', 'close');
        throw err;
      }
      // A cancelled upload (the visitor aborted): nothing is kept.
      throw new HttpError(400, 'upload_aborted', 'The upload was cancelled or cut off; nothing was kept.');
    }
    if (size === 0) {
      await rm(tmp, { force: true });
      throw badRequest('The file is empty.', [{ field: 'file', problem: 'is empty' }]);
    }
    const sig = SIGNATURES[ext];
    if (sig && !sig.test(sniff.subarray(0, Math.max(HEAD_BYTES, 12)), sniff)) {
      await rm(tmp, { force: true });
      throw new HttpError(400, 'file_content_mismatch', `"${name}" does not contain what its name says (${ext}); it was refused.`, [{ field: 'file', problem: `content is not ${ext}` }]);
    }
    const sha256 = hash.digest('hex');
    const storageKey = `${sha256.slice(0, 2)}/${id}`;
    mkdirSync(path.join(this.dir, sha256.slice(0, 2)), { recursive: true });
    await rename(tmp, path.join(this.dir, storageKey));
    const a = this.chat.store.attachments.create({ id, interactionId, messageId: null, fileName: name, size, sha256, detectedType: sig?.type ?? 'application/octet-stream', storageKey, uploadedByKind: by, createdAt: new Date() });
    await this.chat.store.attachments.insert(a);
    this.chat.s.log.info({ interactionId, attachmentId: id, size, by }, 'chat file stored');
    return a;
  }

  /**
   * Sends the file as a download (never rendered by the browser). The caller checked who asks;
   * a visitor gets only what was sent to the chat, not what an agent uploaded and kept back.
   */
  async download(ctx: Context, interactionId: string, fileId: string, by: 'visitor' | 'agent'): Promise<void> {
    const a = await this.chat.store.attachments.findOneBy({ id: fileId });
    // A file of another chat is "not found" here: the room must match.
    if (!a || a.interactionId !== interactionId) throw notFound('File');
    if (by === 'visitor' && !(await this.sentToVisitor(a))) throw notFound('File');
    const p = path.join(this.dir, a.storageKey);
    await stat(p).catch(() => {
      throw notFound('File');
    });
    ctx.set('Content-Type', a.detectedType);
    ctx.set('Content-Length', String(a.size));
    ctx.set('Content-Disposition', `attachment; filename="${a.fileName.replace(/[^\x20-\x7e]|["\\]/g, '_')}"; filename*=UTF-8''${encodeURIComponent(a.fileName)}`);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Content-Security-Policy', "default-src 'none'; sandbox");
    ctx.set('Cache-Control', 'private, no-store');
    ctx.body = createReadStream(p);
  }

  /**
   * Removes a file not yet sent (taken off the list before sending), by the side that uploaded it:
   * unsent files count against `uploads.maxFiles`, so one left behind would block the next upload.
   */
  private async sentToVisitor(a: Attachment): Promise<boolean> {
    if (!a.messageId) return false;
    const m = await this.chat.store.messages.findOneBy({ id: a.messageId });
    return !!m && m.authorKind !== 'note';
  }

  async remove(interactionId: string, fileId: string, by: 'visitor' | 'agent'): Promise<void> {
    const a = await this.chat.store.attachments.findOneBy({ id: fileId });
    if (!a || a.interactionId !== interactionId || a.uploadedByKind !== by) throw notFound('File');
    if (a.messageId) throw new HttpError(409, 'conflict', 'This file was already sent and stays in the chat.');
    await this.chat.store.attachments.delete({ id: a.id });
    await rm(path.join(this.dir, a.storageKey), { force: true });
  }
}

function formatBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0)} MB` : `${Math.ceil(n / 1024)} KB`;
}
