import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const scrypt = (pw: string, salt: Buffer, len: number, o: ScryptOptions) =>
  new Promise<Buffer>((resolve, reject) => scryptCb(pw, salt, len, o, (err, key) => (err ? reject(err) : resolve(key))));

// N=2^15, r=8 (OWASP's scrypt floor) keeps a login near 50 ms on this class of machine.
const N = 1 << 15;
const R = 8;
const P = 1;
const KEYLEN = 32;
const maxmem = 128 * N * R * 2;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P, maxmem });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = parts.slice(1, 4).map(Number);
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scrypt(password, salt, expected.length, { N: n!, r: r!, p: p!, maxmem: 128 * n! * r! * 2 });
  return timingSafeEqual(key, expected);
}

/** A hash of a random password, compared against when the username is unknown so both cases take the same time. */
export function decoyHash(): Promise<string> {
  return hashPassword(randomBytes(16).toString('hex'));
}
