/** A fixed-size bit set over 0..size-1, stored in 32-bit words. */
export class BitSet {
  readonly words: Uint32Array;
  constructor(readonly size: number) {
    this.words = new Uint32Array((size + 31) >>> 5);
  }

  static full(size: number): BitSet {
    const b = new BitSet(size);
    b.words.fill(0xffffffff);
    const extra = b.words.length * 32 - size;
    if (extra > 0 && b.words.length > 0) b.words[b.words.length - 1] = 0xffffffff >>> extra;
    return b;
  }

  set(i: number): void {
    this.words[i >>> 5]! |= 1 << (i & 31);
  }

  clear(i: number): void {
    this.words[i >>> 5]! &= ~(1 << (i & 31));
  }

  has(i: number): boolean {
    return (this.words[i >>> 5]! & (1 << (i & 31))) !== 0;
  }

  or(other: BitSet): void {
    const w = this.words;
    const o = other.words;
    for (let i = 0; i < w.length; i++) w[i]! |= o[i]!;
  }

  andNot(other: BitSet): void {
    const w = this.words;
    const o = other.words;
    for (let i = 0; i < w.length; i++) w[i]! &= ~o[i]!;
  }

  and(other: BitSet): void {
    const w = this.words;
    const o = other.words;
    for (let i = 0; i < w.length; i++) w[i]! &= o[i]!;
  }

  clone(): BitSet {
    const b = new BitSet(this.size);
    b.words.set(this.words);
    return b;
  }

  isEmpty(): boolean {
    return this.words.every((w) => w === 0);
  }
}
