/**
 * One binary value for Redis: a text header (JSON, by the caller) and a payload kept as bytes,
 * so MQTT payloads are never base64'd or copied through JSON.
 *   [u32 BE header length][header utf8][payload]
 */
export function encodeRecord(header: string, payload: Buffer): Buffer {
  const head = Buffer.from(header, 'utf8');
  const out = Buffer.allocUnsafe(4 + head.length + payload.length);
  out.writeUInt32BE(head.length, 0);
  head.copy(out, 4);
  payload.copy(out, 4 + head.length);
  return out;
}

export function decodeRecord(record: Buffer): { header: string; payload: Buffer } {
  if (record.length < 4) throw new Error('record too short');
  const length = record.readUInt32BE(0);
  if (4 + length > record.length) throw new Error('record header overruns the record');
  // A copy: the payload outlives the reply buffer it came in.
  return { header: record.toString('utf8', 4, 4 + length), payload: Buffer.from(record.subarray(4 + length)) };
}
