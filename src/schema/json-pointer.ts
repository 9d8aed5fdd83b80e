/** RFC 6901 JSON pointer helpers shared by the schema layer, redaction and source maps. */

export function escapePointerSegment(segment: string | number): string {
  return String(segment).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointerSegment(segment: string): string {
  // Order matters: '~1' first, then '~0', so '~01' decodes to '~1' not '/'.
  return segment.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** '' -> [], '/a/b~1c' -> ['a', 'b/c']. Throws on a pointer that does not start with '/'. */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`invalid JSON pointer: ${JSON.stringify(pointer)}`);
  return pointer.slice(1).split('/').map(unescapePointerSegment);
}

export function formatPointer(segments: ReadonlyArray<string | number>): string {
  return segments.map((s) => `/${escapePointerSegment(s)}`).join('');
}

/** The pointer one level up ('' stays ''). */
export function parentPointer(pointer: string): string {
  const segments = parsePointer(pointer);
  return formatPointer(segments.slice(0, -1));
}
