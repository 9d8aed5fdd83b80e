/**
 * MD4 (RFC 1320) in plain JS: OpenSSL 3 (Node 20) ships it only in the legacy provider, and 4.x
 * accepted `pbkdf2,md4,...` password hashes. Only used for those; never on the message path.
 */

const rotl = (x: number, n: number): number => (x << n) | (x >>> (32 - n));

export function md4(data: Buffer): Buffer {
  const bitLength = data.length * 8;
  const padded = Buffer.alloc(((data.length + 8) >> 6) * 64 + 64);
  data.copy(padded);
  padded[data.length] = 0x80;
  // 64-bit little-endian length; inputs here are far below 2^32 bits, the high word stays exact.
  padded.writeUInt32LE(bitLength >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bitLength / 0x100000000), padded.length - 4);

  let a = 0x67452301;
  let b = 0xefcdab89;
  let c = 0x98badcfe;
  let d = 0x10325476;
  const x = new Array<number>(16);
  for (let off = 0; off < padded.length; off += 64) {
    for (let i = 0; i < 16; i++) x[i] = padded.readUInt32LE(off + i * 4);
    const [aa, bb, cc, dd] = [a, b, c, d];
    const f = (p: number, q: number, r: number): number => (p & q) | (~p & r);
    const g = (p: number, q: number, r: number): number => (p & q) | (p & r) | (q & r);
    const h = (p: number, q: number, r: number): number => p ^ q ^ r;
    for (const i of [0, 4, 8, 12]) {
      a = rotl((a + f(b, c, d) + x[i]!) | 0, 3);
      d = rotl((d + f(a, b, c) + x[i + 1]!) | 0, 7);
      c = rotl((c + f(d, a, b) + x[i + 2]!) | 0, 11);
      b = rotl((b + f(c, d, a) + x[i + 3]!) | 0, 19);
    }
    for (const i of [0, 1, 2, 3]) {
      a = rotl((a + g(b, c, d) + x[i]! + 0x5a827999) | 0, 3);
      d = rotl((d + g(a, b, c) + x[i + 4]! + 0x5a827999) | 0, 5);
      c = rotl((c + g(d, a, b) + x[i + 8]! + 0x5a827999) | 0, 9);
      b = rotl((b + g(c, d, a) + x[i + 12]! + 0x5a827999) | 0, 13);
    }
    for (const i of [0, 2, 1, 3]) {
      a = rotl((a + h(b, c, d) + x[i]! + 0x6ed9eba1) | 0, 3);
      d = rotl((d + h(a, b, c) + x[i + 8]! + 0x6ed9eba1) | 0, 9);
      c = rotl((c + h(d, a, b) + x[i + 4]! + 0x6ed9eba1) | 0, 11);
      b = rotl((b + h(c, d, a) + x[i + 12]! + 0x6ed9eba1) | 0, 15);
    }
    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }
  const out = Buffer.alloc(16);
  out.writeInt32LE(a, 0);
  out.writeInt32LE(b, 4);
  out.writeInt32LE(c, 8);
  out.writeInt32LE(d, 12);
  return out;
}

function hmacMd4(key: Buffer, message: Buffer): Buffer {
  const block = 64;
  let k = key.length > block ? md4(key) : key;
  k = Buffer.concat([k, Buffer.alloc(block - k.length)]);
  const ipad = Buffer.alloc(block);
  const opad = Buffer.alloc(block);
  for (let i = 0; i < block; i++) {
    ipad[i] = k[i]! ^ 0x36;
    opad[i] = k[i]! ^ 0x5c;
  }
  return md4(Buffer.concat([opad, md4(Buffer.concat([ipad, message]))]));
}

/** PBKDF2 (RFC 8018) with HMAC-MD4. */
export function pbkdf2Md4(password: Buffer, salt: Buffer, iterations: number, keyLength: number): Buffer {
  const blocks: Buffer[] = [];
  for (let index = 1; blocks.length * 16 < keyLength; index++) {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(index);
    let u = hmacMd4(password, Buffer.concat([salt, counter]));
    const t = Buffer.from(u);
    for (let i = 1; i < iterations; i++) {
      u = hmacMd4(password, u);
      for (let j = 0; j < t.length; j++) t[j]! ^= u[j]!;
    }
    blocks.push(t);
  }
  return Buffer.concat(blocks).subarray(0, keyLength);
}
