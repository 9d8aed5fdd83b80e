/**
 * The order in which a 4.x node hands numbered keys (`module.rewrite.pub.rule.N`,
 * `module.subscription.N.*`) to its modules (legacy-formats.md §2.5, generator-cases.md):
 * cuttlefish 3.0.0 (EMQX 4.0–4.2) passes them in REVERSE FILE order; cuttlefish 3.3.x (4.3, 4.4)
 * sorts keys as strings (1 < 10 < 2) and then reverses, giving 2, 10, 1 for ids 1, 2, 10.
 */

export interface NumberedItem {
  /** The `$id` word of the key. */
  id: string;
  /** Position of the item's first key in the file (index in the document's settings). */
  position: number;
}

export type OrderRule = 'reverse-file' | 'reverse-sorted' | 'sorted';

/** Cuttlefish generation of a version: 4.0–4.2 -> 3.0.0 (reverse file order); 4.3, 4.4 and unknown -> 3.3.x. */
export function listOrderRule(version: string | undefined): OrderRule {
  return version !== undefined && /^4\.[012](\.|$)/.test(version) ? 'reverse-file' : 'reverse-sorted';
}

const byString = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The items in the order the module sees them. */
export function orderItems<T extends NumberedItem>(items: readonly T[], rule: OrderRule): T[] {
  if (rule === 'reverse-file') return [...items].sort((a, b) => b.position - a.position);
  const sorted = [...items].sort((a, b) => byString(a.id, b.id));
  return rule === 'sorted' ? sorted : sorted.reverse();
}

/** True when the two cuttlefish generations would order these items differently. */
export function orderDependsOnVersion(items: readonly NumberedItem[]): boolean {
  const a = orderItems(items, 'reverse-file').map((i) => i.id);
  const b = orderItems(items, 'reverse-sorted').map((i) => i.id);
  return a.some((id, i) => id !== b[i]);
}

/**
 * Ids for writing `count` items so that every 4.x version applies them in array order: item i gets
 * ids[i]; write the lines in ascending id order (= reverse array order). All ids have the same
 * width, so string and numeric order agree (1..9, or 10..99, 100..999 ...).
 */
export function idsForArrayOrder(count: number): string[] {
  // start=1 covers 1..9 (9 ids), start=10 covers 10..99 (90 ids), start=100 covers 900 ids...
  let start = 1;
  while (count > 9 * start) start *= 10;
  return Array.from({ length: count }, (_, i) => String(start + (count - 1 - i)));
}
