import { aclFile } from './acl-file/index.js';
import { authBuiltinDb } from './auth-builtin-db/index.js';
import { authHttp } from './auth-http/index.js';
import { authJwt } from './auth-jwt/index.js';
import { authLdap } from './auth-ldap/index.js';
import { authMongodb } from './auth-mongodb/index.js';
import { authMysql } from './auth-mysql/index.js';
import { authPostgresql } from './auth-postgresql/index.js';
import { authPsk } from './auth-psk/index.js';
import { authRedis } from './auth-redis/index.js';
import { authScram } from './auth-scram/index.js';
import { delayedPublish } from './delayed-publish/index.js';
import type { ModuleType } from './runtime/module-type.js';
import { ModuleRegistry } from './runtime/registry.js';
import { presence } from './presence/index.js';
import { prometheus } from './prometheus/index.js';
import { proxySubscription } from './proxy-subscription/index.js';
import { recon } from './recon/index.js';
import { retainer } from './retainer/index.js';
import { topicRewrite } from './topic-rewrite/index.js';

/**
 * Every module type built into modmq. Add yours here: `import { presence } from './presence/index.js'`
 * and list it below. The schema in `schemas/modules/<type>/` must exist too.
 */
export const builtinModuleTypes: ModuleType[] = [presence, proxySubscription, topicRewrite, prometheus, retainer, authBuiltinDb, authHttp, authJwt, aclFile, delayedPublish, recon, authPsk, authScram, authMysql, authPostgresql, authRedis, authLdap, authMongodb];

/** The registry a node runs with: the built-in types plus any extra (tests, plugins). */
export function buildModuleRegistry(extra: readonly ModuleType[] = []): ModuleRegistry {
  return new ModuleRegistry([...builtinModuleTypes, ...extra]);
}
