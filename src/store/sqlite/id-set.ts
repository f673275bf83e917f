/** A growable bitset of row ids (version ids stay well below 2^31). */
export class IdSet {
  private bits = new Uint8Array(1 << 12);
  size = 0;

  /** Adds `id`; false if it was already there. */
  add(id: number): boolean {
    const byte = id >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, byte + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (id & 7);
    if (this.bits[byte]! & mask) return false;
    this.bits[byte]! |= mask;
    this.size++;
    return true;
  }

  /** Removes `id`; false if it was not there. */
  delete(id: number): boolean {
    const byte = id >>> 3;
    const mask = 1 << (id & 7);
    if (byte >= this.bits.length || !(this.bits[byte]! & mask)) return false;
    this.bits[byte]! &= ~mask;
    this.size--;
    return true;
  }

  has(id: number): boolean {
    return ((this.bits[id >>> 3] ?? 0) & (1 << (id & 7))) !== 0;
  }

  *[Symbol.iterator](): Generator<number> {
    for (let byte = 0; byte < this.bits.length; byte++) {
      const b = this.bits[byte]!;
      if (b === 0) continue;
      for (let bit = 0; bit < 8; bit++) if (b & (1 << bit)) yield byte * 8 + bit;
    }
  }
}
