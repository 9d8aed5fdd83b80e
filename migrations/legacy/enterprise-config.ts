/**
 * Small helpers for `fromEnterprise`: an EE `data export` module config is JSON, so every top-level
 * field becomes one KeyOutcome (`<ee type>.<field>`, at the module's location) and reports can still
 * say, per field, where it went.
 */
import type { Location } from '../../src/migrator/legacy-node.js';
import type { KeyOutcome } from './mapping.js';

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * One outcome per top-level field. `target(field)` returns the `<type>#<pointer>` it maps to, or a
 * reason string prefixed with `!` when it is dropped on purpose; undefined = unknown field.
 */
export function enterpriseKeys(
  eeType: string,
  config: Record<string, unknown>,
  location: Location,
  target: (field: string) => string | undefined,
  secrets: readonly string[] = ['password', 'jwt', 'token', 'secret'],
): KeyOutcome[] {
  return Object.keys(config).map((field) => {
    const key = `${eeType}.${field}`;
    const t = target(field);
    const outcome: KeyOutcome =
      t === undefined
        ? { key, location, class: 'not-mapped', reason: `unknown field of the EE ${eeType} module` }
        : t.startsWith('!')
          ? { key, location, class: 'not-mapped', reason: t.slice(1) }
          : { key, location, class: 'mapped', target: t };
    if (secrets.includes(field)) outcome.secret = true;
    return outcome;
  });
}

/** EE `file` parameters are `{filename, file: <content>}`: the content is inline, a module config needs a path. */
export function embeddedFileName(value: unknown): string | undefined {
  if (!isRecord(value)) return typeof value === 'string' && value !== '' ? value : undefined;
  const file = value['file'];
  const name = value['filename'];
  return typeof file === 'string' && file !== '' ? (typeof name === 'string' && name !== '' ? name : 'file.pem') : undefined;
}
