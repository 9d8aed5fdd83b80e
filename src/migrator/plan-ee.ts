/**
 * The EE `emqx_ctl data export` JSON as one more voter in the merge: its modules go through the
 * mappings' `fromEnterprise` (by `enterpriseTypes`), keeping the EE `enabled` flag; `auth_mnesia` /
 * `acl_mnesia` rows become builtin-db-users.json (imported by the auth-builtin-db module, issue 4).
 * Module types without a mapping are reported `not-mapped`, never dropped silently.
 */
import type { LegacyMapping } from '../../migrations/legacy/mapping.js';
import type { Location } from './legacy-node.js';
import { absorb } from './plan.js';
import type { NodePlan } from './plan-types.js';

/** What the migrator needs of an EE export (the reader's result is adapted to this). */
export interface EnterpriseExportInput {
  /** File name as given (reports). */
  file: string;
  modules: Array<{ type: string; id?: string; enabled: boolean; config: Record<string, unknown>; location: Location }>;
  authMnesia: unknown[];
  aclMnesia: unknown[];
  problems: Array<{ code: string; message: string; location: Location }>;
  /** Other top-level sections (rules, resources, apps, blacklist, ...), reported not-mapped. */
  other?: Record<string, unknown>;
}

const OTHER_REASONS: Record<string, string> = {
  rules: 'rule engine rules are not part of modmq',
  resources: 'rule engine resources are not part of modmq',
  apps: 'API apps: create modmq API keys (modmq api-keys) instead',
  users: 'dashboard users: modmq API admins are set with modmq start --admin-password',
  blacklist: 'the banned-clients list is not supported yet (gap)',
  schemas: 'schema registry entries are not supported',
  configs: 'EE config sections are carried by the modules that use them, not on their own',
};

export function planExport(input: EnterpriseExportInput, mappings: readonly LegacyMapping[], name: string): NodePlan {
  const plan: NodePlan = {
    node: name, modules: [], settings: new Map(), nodeConfig: new Map(), keys: [], warnings: [], errors: [], isExport: true,
  };
  for (const p of input.problems) plan.errors.push({ code: p.code, message: p.message, node: name, location: p.location });
  for (const module of input.modules) {
    const key = `modules[${module.id ?? module.type}]`;
    const mapping = mappings.find((m) => m.enterpriseTypes?.includes(module.type) && m.fromEnterprise);
    if (!mapping?.fromEnterprise) {
      plan.keys.push({ node: name, key, location: module.location, class: 'not-mapped', reason: `no mapping for EE module type ${module.type}` });
      if (module.enabled) plan.warnings.push({ code: 'ee-module-not-migrated', message: `EE module ${module.type} is enabled but has no mapping`, node: name, location: module.location });
      continue;
    }
    try {
      absorb(plan, mapping, mapping.fromEnterprise(module.config, module.location), undefined, module.enabled);
    } catch (error) {
      plan.errors.push({ code: 'mapping-failed', message: `${mapping.source} (EE ${module.type}): ${(error as Error).message}`, node: name, location: module.location });
    }
  }
  for (const [section, value] of Object.entries(input.other ?? {})) {
    const reason = OTHER_REASONS[section];
    if (reason === undefined || !Array.isArray(value) || value.length === 0) continue;
    plan.keys.push({ node: name, key: section, location: { file: input.file, line: 1 }, class: 'not-mapped', reason: `${value.length} entr${value.length === 1 ? 'y' : 'ies'}: ${reason}` });
  }
  if (input.authMnesia.length > 0 || input.aclMnesia.length > 0) {
    plan.builtinDb = { users: input.authMnesia, acl: input.aclMnesia };
    plan.keys.push({
      node: name, key: 'auth_mnesia', location: { file: input.file, line: 1 }, class: 'mapped', target: 'auth-builtin-db#/users',
      reason: `${input.authMnesia.length} user(s) and ${input.aclMnesia.length} ACL row(s) written to builtin-db-users.json`,
    });
  }
  return plan;
}
