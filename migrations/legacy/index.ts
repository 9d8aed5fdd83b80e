/**
 * Every legacy mapping, in registration order. Order matters in three places:
 * - the plan runs them in this order (report order);
 * - non-chain modules appear in the cluster document in this order (chain modules follow 4.x
 *   load order, see src/migrator/chain-order.ts);
 * - `--reverse` writes a module type with the FIRST mapping of that type, so where two plugins map to
 *   one type (4.0-4.2 emqx_auth_username/clientid vs 4.3+ emqx_auth_mnesia) the 4.3/4.4 one is first.
 * Sources are unique: a later mapping with the same source is dropped (the core fallbacks for
 * plugins without a module come last for that reason).
 */
import { aclFile } from './acl-file.js';
import { authClientid } from './auth-clientid.js';
import { authHttp } from './auth-http.js';
import { authJwt } from './auth-jwt.js';
import { authLdap } from './auth-ldap.js';
import { authMnesia } from './auth-mnesia.js';
import { authMongo } from './auth-mongo.js';
import { authMysql } from './auth-mysql.js';
import { authPgsql } from './auth-pgsql.js';
import { authRedis } from './auth-redis.js';
import { authSasl } from './auth-sasl.js';
import { authUsername } from './auth-username.js';
import { delayedPublish } from './delayed-publish.js';
import { emqxJt808, emqxTcp } from './ee-gateways.js';
import { emqxCoap } from './emqx-coap.js';
import { unmappedPlugins } from './emqx-core-plugins.js';
import { emqxCore } from './emqx-core.js';
import { emqxExhook, emqxExtensionHook } from './emqx-exhook.js';
import { emqxExproto } from './emqx-exproto.js';
import { emqxLwm2m } from './emqx-lwm2m.js';
import { emqxModulePresence } from './emqx-module-presence.js';
import { emqxModuleRewrite } from './emqx-module-rewrite.js';
import { emqxModuleSubscription } from './emqx-module-subscription.js';
import { emqxSn } from './emqx-sn.js';
import { emqxStomp } from './emqx-stomp.js';
import { kafkaConsumer } from './kafka-consumer.js';
import type { LegacyMapping } from './mapping.js';
import { prometheus, statsd } from './prometheus.js';
import { pskFile } from './psk-file.js';
import { pulsarConsumer } from './pulsar-consumer.js';
import { recon } from './recon.js';
import { retainer } from './retainer.js';
import { slowSubs, topicMetrics } from './slow-subs.js';
import { webHook } from './web-hook.js';

const ordered: LegacyMapping[] = [
  emqxCore,
  // Auth and ACL (chain order comes from loaded_plugins, not from here).
  authMnesia, authUsername, authClientid, authMysql, authPgsql, authRedis, authMongo, authHttp, authJwt, authLdap, pskFile, authSasl, aclFile,
  // emqx.conf modules.
  emqxModulePresence, emqxModuleSubscription, emqxModuleRewrite, slowSubs, topicMetrics,
  // Plugins with a module.
  retainer, delayedPublish, recon, prometheus, statsd, webHook,
  emqxExhook, emqxExtensionHook, emqxExproto,
  emqxSn, emqxCoap, emqxLwm2m, emqxStomp, emqxTcp, emqxJt808,
  kafkaConsumer, pulsarConsumer,
  // Plugins without a module: every key not-mapped with a reason.
  ...unmappedPlugins,
];

function uniqueBySource(mappings: readonly LegacyMapping[]): LegacyMapping[] {
  const seen = new Set<string>();
  return mappings.filter((m) => !seen.has(m.source) && seen.add(m.source));
}

export const legacyMappings: LegacyMapping[] = uniqueBySource(ordered);
