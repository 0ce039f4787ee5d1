/**
 * A short, stable content hash (FNV-1a, two 32-bit lanes, base32): for rule comments and chain
 * comparison. Not cryptographic; pure so that compile/render/diff need no node:crypto.
 */
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

export function stringHash(text: string, length = 10): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995) ^ (h2 >>> 15);
  }
  let out = '';
  let a = h1 >>> 0;
  let b = h2 >>> 0;
  for (let i = 0; i < length; i++) {
    const lane = i % 2 === 0 ? a : b;
    out += ALPHABET[lane & 31];
    if (i % 2 === 0) a = lane >>> 5;
    else b = lane >>> 5;
  }
  return out;
}
