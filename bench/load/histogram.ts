/**
 * Latency histogram in microseconds, log-linear with 256 sub-buckets per power of two (relative
 * error under 0.4%), preallocated: recording a sample allocates nothing.
 */
const SUB = 256;
const SIZE = SUB * 40;

export class Histogram {
  private readonly counts = new Uint32Array(SIZE);
  private total = 0;
  private maxUs = 0;

  recordUs(value: number): void {
    const v = value <= 0 ? 0 : Math.floor(value);
    let index: number;
    if (v < 2 * SUB) {
      index = v;
    } else {
      const e = 31 - Math.clz32(v > 0x7fffffff ? 0x7fffffff : v) - 8;
      index = SUB * e + (v >>> e);
    }
    if (index >= SIZE) index = SIZE - 1;
    this.counts[index]! += 1;
    this.total += 1;
    if (v > this.maxUs) this.maxUs = v;
  }

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxUs;
  }

  /** The value (µs, bucket midpoint) below which `q` (0..1) of the samples fall; 0 when empty. */
  quantileUs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let i = 0; i < SIZE; i++) {
      seen += this.counts[i] as number;
      if (seen >= rank) return bucketValue(i);
    }
    return this.maxUs;
  }
}

function bucketValue(index: number): number {
  if (index < 2 * SUB) return index;
  const e = Math.floor(index / SUB) - 1;
  const mantissa = index - SUB * e;
  return (mantissa + 0.5) * 2 ** e;
}
