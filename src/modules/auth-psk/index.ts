import { readFile } from 'node:fs/promises';
import type { Problem } from '../../schema/problem.js';
import type { InstanceHealth, ModuleContext, ModuleInstance, ModuleType } from '../runtime/module-type.js';
import { parsePskText } from './psk-file.js';
import { PskTable } from './psk-table.js';

export interface AuthPskConfig {
  entries: Array<{ identity: string; secret: string }>;
  file: string;
  delimiter: string;
  on_backend_error: 'ignore' | 'deny';
}

/** TLS-PSK keys are at most 256 bytes in OpenSSL (PSK_MAX_PSK_LEN); identities 128. */
const MAX_KEY_BYTES = 256;
const MAX_IDENTITY_BYTES = 128;

async function loadTable(config: AuthPskConfig): Promise<{ table: PskTable; fileError?: string }> {
  const table = new PskTable();
  for (const entry of config.entries ?? []) table.add(entry.identity, entry.secret);
  if (!config.file) return { table };
  let text: string;
  try {
    text = await readFile(config.file, 'utf8');
  } catch (error) {
    return { table, fileError: `cannot read ${config.file}: ${(error as Error).message}` };
  }
  const { entries, errors } = parsePskText(text, config.delimiter);
  for (const entry of entries) table.add(entry.identity, entry.secret);
  if (errors.length > 0) return { table, fileError: `${config.file}:${errors[0]!.line}: ${errors[0]!.message}` };
  return { table };
}

/**
 * auth-psk: TLS-PSK identities for TLS listeners with `psk` on. Registers a pskLookup hook the
 * listener asks during the handshake; an unknown identity fails the handshake. A PSK file that
 * cannot be read (or has bad lines) makes the module degraded with `on_backend_error: ignore`
 * (the config entries and the good lines still serve) and fails create/update with `deny`.
 */
export const authPsk: ModuleType<AuthPskConfig> = {
  type: 'auth-psk',
  family: 'auth',
  schemaVersion: 1,

  check(config: AuthPskConfig): Problem[] {
    const problems: Problem[] = [];
    (config.entries ?? []).forEach((entry, i) => {
      if (Buffer.byteLength(entry.secret, 'utf8') > MAX_KEY_BYTES) {
        problems.push({ pointer: `/entries/${i}/secret`, keyword: 'psk-key-size', message: `a PSK key is at most ${MAX_KEY_BYTES} bytes` });
      }
      if (Buffer.byteLength(entry.identity, 'utf8') > MAX_IDENTITY_BYTES) {
        problems.push({ pointer: `/entries/${i}/identity`, keyword: 'psk-identity-size', message: `a PSK identity is at most ${MAX_IDENTITY_BYTES} bytes` });
      }
    });
    return problems;
  },

  async create(ctx: ModuleContext, config: AuthPskConfig): Promise<ModuleInstance<AuthPskConfig>> {
    const load = async (next: AuthPskConfig): Promise<{ table: PskTable; health: InstanceHealth }> => {
      const { table, fileError } = await loadTable(next);
      if (fileError === undefined) return { table, health: { state: 'running' } };
      if (next.on_backend_error === 'deny') throw new Error(fileError);
      ctx.log.warn({ reason: fileError }, 'PSK file not (fully) usable; serving the rest');
      return { table, health: { state: 'degraded', reason: fileError } };
    };
    let { table, health } = await load(config);
    const unhook = ctx.hooks.pskLookup((identity) => table.get(identity));
    ctx.log.info({ identities: table.size }, 'TLS-PSK identities loaded');
    return {
      async update(next: AuthPskConfig): Promise<void> {
        const loaded = await load(next);
        table = loaded.table;
        health = loaded.health;
      },
      async stop(): Promise<void> {
        unhook();
      },
      status: () => health,
    };
  },
};
