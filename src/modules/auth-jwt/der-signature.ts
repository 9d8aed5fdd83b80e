/**
 * ECDSA signatures: JOSE carries r||s ("raw"); Erlang's crypto (4.x `signature_format = der`)
 * produced ASN.1 DER. We convert a DER signature to raw before jose verifies it.
 */

/** Bytes per coordinate for each ECDSA JWS algorithm. */
export const EC_COORDINATE_BYTES: Readonly<Record<string, number>> = { ES256: 32, ES384: 48, ES512: 66 };

/** Reads a DER length at `at`; returns [length, next offset] or undefined. */
function readLength(der: Uint8Array, at: number): [number, number] | undefined {
  const first = der[at];
  if (first === undefined) return undefined;
  if (first < 0x80) return [first, at + 1];
  const count = first & 0x7f;
  if (count === 0 || count > 2) return undefined;
  let length = 0;
  for (let i = 1; i <= count; i++) {
    const b = der[at + i];
    if (b === undefined) return undefined;
    length = (length << 8) | b;
  }
  return [length, at + 1 + count];
}

function readInteger(der: Uint8Array, at: number): [Uint8Array, number] | undefined {
  if (der[at] !== 0x02) return undefined;
  const len = readLength(der, at + 1);
  if (!len || len[0] === 0 || len[1] + len[0] > der.length) return undefined;
  return [der.subarray(len[1], len[1] + len[0]), len[1] + len[0]];
}

/** DER `SEQUENCE { INTEGER r, INTEGER s }` -> r||s of `size` bytes each; undefined when not DER. */
export function derToRaw(der: Uint8Array, size: number): Uint8Array | undefined {
  if (der[0] !== 0x30) return undefined;
  const seq = readLength(der, 1);
  if (!seq || seq[1] + seq[0] !== der.length) return undefined;
  const r = readInteger(der, seq[1]);
  if (!r) return undefined;
  const s = readInteger(der, r[1]);
  if (!s || s[1] !== der.length) return undefined;
  const raw = new Uint8Array(size * 2);
  for (const [i, int] of [r[0], s[0]].entries()) {
    let bytes = int;
    while (bytes.length > size && bytes[0] === 0) bytes = bytes.subarray(1); // sign padding
    if (bytes.length > size) return undefined;
    raw.set(bytes, i * size + (size - bytes.length));
  }
  return raw;
}

/** r||s -> DER (tests use it to make 4.x-style tokens). */
export function rawToDer(raw: Uint8Array): Uint8Array {
  const size = raw.length / 2;
  const int = (bytes: Uint8Array): number[] => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start++;
    const body = [...bytes.subarray(start)];
    if (body[0]! >= 0x80) body.unshift(0);
    return [0x02, ...encodeLength(body.length), ...body];
  };
  const content = [...int(raw.subarray(0, size)), ...int(raw.subarray(size))];
  return Uint8Array.from([0x30, ...encodeLength(content.length), ...content]);
}

function encodeLength(length: number): number[] {
  if (length < 0x80) return [length];
  if (length < 0x100) return [0x81, length];
  return [0x82, length >> 8, length & 0xff];
}

/**
 * The token with its DER signature turned raw, when `alg` is ECDSA and the signature is DER;
 * otherwise the token unchanged (a raw signature is accepted with either format).
 */
export function normalizeEcdsaToken(token: string, alg: string): string {
  const size = EC_COORDINATE_BYTES[alg];
  if (size === undefined) return token;
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  if (signature.length === size * 2) return token;
  const raw = derToRaw(signature, size);
  return raw ? `${token.slice(0, dot + 1)}${Buffer.from(raw).toString('base64url')}` : token;
}
