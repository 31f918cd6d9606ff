import type { Context } from 'koa';
import { HttpError, badRequest } from './errors.js';
import { INVALID_UNICODE, invalidUnicodePath } from './unicode.js';

/** Reads a JSON body with a size cap; refuses other content types so forms cannot forge requests. */
export async function readJson(ctx: Context, limitBytes = 64 * 1024): Promise<unknown> {
  const length = Number(ctx.get('content-length') || 0);
  if (length === 0 && !ctx.get('transfer-encoding')) return {};
  if (!ctx.is('application/json')) throw new HttpError(415, 'unsupported_media_type', 'Send the body as application/json.');
  if (length > limitBytes) throw new HttpError(413, 'too_large', `The body is larger than ${limitBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limitBytes) throw new HttpError(413, 'too_large', `The body is larger than ${limitBytes} bytes.`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badRequest('The body is not valid JSON.');
  }
  const field = invalidUnicodePath(body);
  if (field) throw badRequest(`The field ${field} ${INVALID_UNICODE}.`, [{ field, problem: INVALID_UNICODE }]);
  return body;
}
