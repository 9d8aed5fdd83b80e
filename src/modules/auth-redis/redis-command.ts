/**
 * 4.x Redis command templates (`HMGET mqtt_user:%u password salt`). Like emqx_auth_redis_cli, the
 * command is split on spaces FIRST and placeholders are replaced inside each argument, so a
 * username with spaces or CRLF stays one argument: no command injection is possible.
 */

/**
 * Values for the placeholders: %u username, %c client id, %C cert CN, %d cert subject (4.x), plus
 * %a peer IP and %P password (the common set). A missing value becomes the empty string.
 */
export type CommandVars = Partial<Record<'u' | 'c' | 'C' | 'd' | 'a' | 'P', string>>;

export interface CommandTemplate {
  /** Upper-cased command name, e.g. `HMGET`. */
  readonly name: string;
  /** The raw arguments (placeholders not yet replaced). */
  readonly args: readonly string[];
}

const PLACEHOLDER = /%([ucCdaP])/g;

/** Parses a command; undefined for an empty one (that step is disabled). */
export function parseCommand(text: string): CommandTemplate | undefined {
  const tokens = text.split(' ').filter((t) => t.length > 0);
  if (tokens.length === 0) return undefined;
  return { name: tokens[0]!.toUpperCase(), args: tokens.slice(1) };
}

/** The argument list with placeholders replaced (every occurrence; unknown `%x` stay as they are). */
export function renderArgs(template: CommandTemplate, vars: CommandVars): string[] {
  return template.args.map((arg) => arg.replace(PLACEHOLDER, (_m, key: keyof CommandVars) => vars[key] ?? ''));
}

/** Commands that cannot be used as a lookup: they change data or the connection. */
const FORBIDDEN = new Set([
  'AUTH', 'CLIENT', 'CONFIG', 'DEBUG', 'DEL', 'EVAL', 'EVALSHA', 'FLUSHALL', 'FLUSHDB', 'MONITOR', 'MULTI',
  'PSUBSCRIBE', 'QUIT', 'SELECT', 'SHUTDOWN', 'SUBSCRIBE', 'SSUBSCRIBE', 'SYNC', 'PSYNC', 'UNLINK', 'WAIT',
]);

/** A problem with a command template, or undefined when it is usable. */
export function commandProblem(text: string): string | undefined {
  const parsed = parseCommand(text);
  if (!parsed) return undefined;
  if (!/^[A-Z][A-Z0-9._|-]*$/.test(parsed.name)) return `"${parsed.name}" is not a Redis command name`;
  if (FORBIDDEN.has(parsed.name)) return `command ${parsed.name} cannot be used for a lookup`;
  return undefined;
}
