// The numbers already seen in an import, for de-duplication. E.164 has at most 15 digits, which a
// double holds exactly, so the set is an open-addressing table of doubles: 16 bytes a number
// (at half load) and nothing for the garbage collector to trace, where a Set<string> of a
// million numbers costs ~70 MB of small objects.
export class PhoneSet {
  private slots = new Float64Array(1 << 16);
  private count = 0;

  get size(): number {
    return this.count;
  }

  /** Adds the number; false when it was already there. `e164` must be "+" and 7–15 digits. */
  add(e164: string): boolean {
    const key = Number(e164.slice(1));
    if (this.count * 2 >= this.slots.length) this.grow();
    const added = insert(this.slots, key);
    if (added) this.count++;
    return added;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Float64Array(old.length * 2);
    for (const key of old) if (key !== 0) insert(this.slots, key);
  }
}

/** Linear probing; 0 marks an empty slot (no E.164 number is 0). */
function insert(slots: Float64Array, key: number): boolean {
  const mask = slots.length - 1;
  for (let i = hash(key) & mask; ; i = (i + 1) & mask) {
    const at = slots[i]!;
    if (at === 0) {
      slots[i] = key;
      return true;
    }
    if (at === key) return false;
  }
}

function hash(key: number): number {
  const lo = key % 4294967296 | 0;
  const hi = (key / 4294967296) | 0;
  return Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b) >>> 0;
}
