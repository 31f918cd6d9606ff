import { randomBytes } from 'node:crypto';

/**
 * 128 random bits as 32 lowercase hex characters. Used for every id a visitor can see or name
 * (interactions, messages, files, contacts), so ids cannot be guessed or enumerated. Hex rather
 * than base64 because MySQL's default collations compare case-insensitively.
 */
export function newId(): string {
  return randomBytes(16).toString('hex');
}

export const ID_LENGTH = 32;
export const isId = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{32}$/.test(v);
