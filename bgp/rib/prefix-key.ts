// Prefixes as the RIB stores them: 32-bit words of address (1 for IPv4, 4 for IPv6) and a length,
// host bits cleared. Text ("10.1.0.0/24") exists only at the edges (views, events, the codec); inside,
// a million prefixes are a few typed arrays rather than a million strings.
import { bytesToIpv6, parsePrefixWords } from '../prefix.js';

export type FamilyIndex = 0 | 1;
export const V4: FamilyIndex = 0;
export const V6: FamilyIndex = 1;
/** Address words per family. */
export const WORDS = [1, 4] as const;

/** A parsed prefix, written into by `parseKey` (reused: callers copy what they keep). */
export interface KeyScratch {
  family: FamilyIndex;
  len: number;
  words: Int32Array;
  /** RFC 7911 path identifier read with the prefix (0 without ADD-PATH). */
  pathId: number;
}

export const newScratch = (): KeyScratch => ({ family: V4, len: 0, words: new Int32Array(4), pathId: 0 });

/** The mask that keeps the first `bits` (0..32) bits of a word. */
const maskOf = (bits: number) => (bits <= 0 ? 0 : bits >= 32 ? -1 : ~((1 << (32 - bits)) - 1));

/** Clears the host bits of `words` beyond `len`. */
export function clearHostBits(words: Int32Array, nWords: number, len: number): void {
  for (let i = 0; i < nWords; i++) words[i]! &= maskOf(len - i * 32);
}

/** Parses canonical-or-not prefix text into `out`, host bits cleared; false when it is not a prefix. */
export function parseKey(text: string, out: KeyScratch): boolean {
  if (!parsePrefixWords(text, out)) return false;
  clearHostBits(out.words, WORDS[out.family], out.len);
  return true;
}

const DOTTED = Array.from({ length: 256 }, (_, i) => `${i}.`);
const SLASH = Array.from({ length: 129 }, (_, i) => `/${i}`);

export function formatKey4(addr: number, len: number): string {
  return DOTTED[addr >>> 24]! + DOTTED[(addr >>> 16) & 255]! + DOTTED[(addr >>> 8) & 255]! + (addr & 255) + SLASH[len]!;
}

const v6bytes = new Uint8Array(16);
export function formatKey6(words: Int32Array, off: number, len: number): string {
  for (let i = 0; i < 4; i++) {
    const w = words[off + i]!;
    v6bytes[i * 4] = w >>> 24;
    v6bytes[i * 4 + 1] = (w >>> 16) & 255;
    v6bytes[i * 4 + 2] = (w >>> 8) & 255;
    v6bytes[i * 4 + 3] = w & 255;
  }
  return bytesToIpv6(v6bytes) + SLASH[len]!;
}

/** The prefix in a scratch as canonical text. */
export const keyText = (k: KeyScratch): string =>
  k.family === V4 ? formatKey4(k.words[0]!, k.len) : formatKey6(k.words, 0, k.len);

/** A well-mixed 32-bit hash of a key (multiply-xorshift per word, then the length). */
export function hashKey(words: Int32Array, off: number, nWords: number, len: number): number {
  let h = Math.imul(len + 1, 0x9e3779b1);
  for (let i = 0; i < nWords; i++) {
    h ^= Math.imul(words[off + i]!, 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 15), 0xc2b2ae35);
  }
  return h ^ (h >>> 16);
}
