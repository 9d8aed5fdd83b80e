/**
 * Building blocks shared by the auth plugin mappings (emqx_auth_*): the 4.x password_hash grammar,
 * server addresses with a default port, the TLS key families of every version, and small helpers
 * for afterForward adjustments. The target shapes are the `password_hash` / `ssl` objects of
 * schemas/modules/auth-* /v1.json.
 */
import { CodecError, bool, enumOf, list, str, type Codec } from './codecs.js';
import type { FieldRule } from './define-mapping.js';

export interface PasswordHash {
  name: 'plain' | 'md5' | 'sha' | 'sha256' | 'sha512' | 'bcrypt' | 'pbkdf2';
  salt_position?: 'disable' | 'prefix' | 'suffix';
  mac_fun?: string;
  iterations?: number;
  dk_length?: number;
}

const HASHES = ['plain', 'md5', 'sha', 'sha256', 'sha512', 'bcrypt'] as const;
const MACS = ['md4', 'md5', 'ripemd160', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'];
const isHash = (s: string): s is (typeof HASHES)[number] => (HASHES as readonly string[]).includes(s);

/**
 * The 4.x password_hash string (split on `,` like `string:tokens`): `sha256`, `salt,sha256` (salt
 * prefix), `sha256,salt` (suffix), `pbkdf2,sha256,1000,20`. 4.x crashed on an unknown hash name, so
 * that is an error here; the 3-token and 5+-token forms fell back to plain, which is kept.
 */
export const passwordHash: Codec<PasswordHash> = {
  name: 'password hash (plain|md5|sha|sha256|sha512|bcrypt, salt,<h>, <h>,salt, pbkdf2,<mac>,<iter>,<dklen>)',
  decode(raw) {
    const parts = raw.split(',').filter((p) => p !== '');
    const [a = '', b = '', c = '', d = ''] = parts;
    if (parts.length === 1) {
      if (isHash(a)) return { name: a, salt_position: 'disable' };
      throw new CodecError(`unknown password hash ${JSON.stringify(raw)}`);
    }
    if (parts.length === 2) {
      if (a === 'salt' && isHash(b)) return { name: b, salt_position: 'prefix' };
      if (b === 'salt' && isHash(a)) return { name: a, salt_position: 'suffix' };
      throw new CodecError(`unknown password hash ${JSON.stringify(raw)}`);
    }
    if (parts.length === 4 && a === 'pbkdf2') {
      if (!MACS.includes(b)) throw new CodecError(`unknown pbkdf2 MAC ${JSON.stringify(b)}`);
      const iterations = Number(c);
      const dkLength = Number(d);
      if (!/^[0-9]+$/.test(c) || !/^[0-9]+$/.test(d) || iterations < 1 || dkLength < 1) {
        throw new CodecError(`pbkdf2 iterations and dklen must be positive integers in ${JSON.stringify(raw)}`);
      }
      return { name: 'pbkdf2', mac_fun: b, iterations, dk_length: dkLength };
    }
    if (parts.length === 4) throw new CodecError(`unknown password hash ${JSON.stringify(raw)}`);
    return { name: 'plain', salt_position: 'disable' };
  },
  encode(v) {
    if (v.name === 'pbkdf2') return `pbkdf2,${v.mac_fun ?? 'sha256'},${v.iterations ?? 4096},${v.dk_length ?? 32}`;
    if (v.salt_position === 'prefix') return `salt,${v.name}`;
    if (v.salt_position === 'suffix') return `${v.name},salt`;
    return v.name;
  },
};

/**
 * A server address with a default port: `host:port` as is, a bare host or IP gets the port, a bare
 * integer is a port on 127.0.0.1 (cuttlefish tried `integer` first). IPv6 literals are bracketed.
 */
export function hostPort(defaultPort: number): Codec<string> {
  return {
    name: `host:port (default port ${defaultPort})`,
    decode(raw) {
      const text = raw.trim();
      if (/^[0-9]+$/.test(text)) return `127.0.0.1:${Number(text)}`;
      const bracketed = /^\[([0-9A-Fa-f:.]+)\](?::([0-9]+))?$/.exec(text);
      if (bracketed) return `[${bracketed[1]}]:${bracketed[2] ?? defaultPort}`;
      if ((text.match(/:/g) ?? []).length > 1) return `[${text}]:${defaultPort}`; // a bare IPv6 address
      const m = /^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)(?::([0-9]{1,5}))?$/.exec(text);
      if (!m || Number(m[2] ?? defaultPort) > 65535) throw new CodecError(`${JSON.stringify(raw)} is not a host[:port]`);
      return `${m[1]}:${m[2] ?? defaultPort}`;
    },
    encode: (v) => v,
  };
}

/** Comma list of servers (redis sentinel/cluster, mongo). */
export const hostPorts = (defaultPort: number): Codec<string[]> => list(hostPort(defaultPort));

/** `verify_none|verify_peer` (emqx_auth_ldap) -> verify flag. */
export const verifyMode: Codec<boolean> = {
  name: 'verify_none|verify_peer',
  decode(raw) {
    if (raw === 'verify_peer') return true;
    if (raw === 'verify_none') return false;
    throw new CodecError(`${JSON.stringify(raw)} is not verify_none or verify_peer`);
  },
  encode: (v) => (v ? 'verify_peer' : 'verify_none'),
};

export interface TlsKeys {
  /** The switch key (`auth.mysql.ssl`) and its codec. */
  enable?: { key: string; codec: Codec<boolean>; legacyDefault?: string };
  /** Legacy keys per target, newest spelling first (reverse writes the first). */
  cafile?: string[];
  certfile?: string[];
  keyfile?: string[];
  verify?: { keys: string[]; codec: Codec<boolean> };
  sni?: string[];
  versions?: string[];
}

/** Field rules for one plugin's TLS keys into `/ssl/...`. */
export function tlsFields(spec: TlsKeys): FieldRule[] {
  const rules: FieldRule[] = [];
  if (spec.enable) {
    const { key, codec, legacyDefault } = spec.enable;
    rules.push({ key, pointer: '/ssl/enable', codec, ...(legacyDefault !== undefined ? { legacyDefault } : {}) });
  }
  for (const target of ['cafile', 'certfile', 'keyfile'] as const) {
    for (const key of spec[target] ?? []) rules.push({ key, pointer: `/ssl/${target}`, codec: str });
  }
  for (const key of spec.verify?.keys ?? []) {
    // `{enum, [true, false]}` verify keys default to false in every version; ldap's verify_* does not
    const legacyDefault = spec.verify!.codec === bool ? { legacyDefault: 'false' } : {};
    rules.push({ key, pointer: '/ssl/verify', codec: spec.verify!.codec, ...legacyDefault });
  }
  for (const key of spec.sni ?? []) rules.push({ key, pointer: '/ssl/server_name_indication', codec: str });
  for (const key of spec.versions ?? []) rules.push({ key, pointer: '/ssl/versions', codec: list(enumOf('tlsv1.3', 'tlsv1.2', 'tlsv1.1', 'tlsv1')) });
  return rules;
}

/** Version `4.x` as a comparable number (4.2 -> 42); undefined when unknown. */
export function versionNumber(version: string | undefined): number | undefined {
  const m = /^4\.([0-9]+)/.exec(version ?? '');
  return m ? 40 + Number(m[1]) : undefined;
}
