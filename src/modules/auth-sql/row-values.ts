/** A column value as text: drivers return strings, Buffers (binary columns) or numbers. */
export function columnText(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  return String(value);
}

/** 4.x is_superuser: 1 / true (MySQL tinyint, PostgreSQL boolean), also as text. */
export function isTruthyFlag(value: unknown): boolean {
  if (value === true || value === 1 || value === 1n) return true;
  const text = columnText(value)?.trim().toLowerCase();
  return text === '1' || text === 'true' || text === 't';
}
