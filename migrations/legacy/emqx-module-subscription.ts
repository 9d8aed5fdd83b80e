/**
 * emqx.conf `module.subscription.N.{topic,qos,nl,rap,rh}` -> proxy-subscription. Traps:
 * - qos absent = 1 (cuttlefish adds the schema default for every id seen), our default is 0;
 * - 4.1+ hands the entries over reversed (numbered-order.ts) and subscribes in that order; 4.0's
 *   translation sorts the ids as strings itself (topics and qos zipped);
 * - 4.0 `module.subscription = on|off` is the enable switch.
 * Reverse writes same-width ids so every version subscribes in array order.
 */
import type { ConfSetting } from '../../src/migrator/legacy-node.js';
import { isValidFilter } from '../../src/broker/topic.js';
import { CodecError } from './codecs.js';
import type { ConfLine, ForwardContext, ForwardResult, KeyOutcome, LegacyMapping } from './mapping.js';
import { idsForArrayOrder, listOrderRule, orderDependsOnVersion, orderItems, type NumberedItem } from './numbered-order.js';
import { applyEnableFlag } from './enable-flag.js';
import { enterpriseKeys, isRecord } from './enterprise-config.js';

const TYPE = 'proxy-subscription';
const KEY_RE = /^module\.subscription\.([^.]+)\.(topic|qos|nl|rap|rh)$/;
type Field = 'topic' | 'qos' | 'nl' | 'rap' | 'rh';

export interface ProxyTopic {
  topic: string;
  qos: number;
  nl: boolean;
  rap: boolean;
  rh: number;
}

const LEGACY_DEFAULTS: Record<Exclude<Field, 'topic'>, number> = { qos: 1, nl: 0, rap: 0, rh: 0 };
const OUR_DEFAULTS: Omit<ProxyTopic, 'topic'> = { qos: 0, nl: false, rap: false, rh: 0 };
const MAX: Record<Exclude<Field, 'topic'>, number> = { qos: 2, nl: 1, rap: 1, rh: 2 };

function decodeSmallInt(field: Exclude<Field, 'topic'>, raw: string): number {
  if (!/^[0-9]+$/.test(raw) || Number(raw) > MAX[field]) throw new CodecError(`${JSON.stringify(raw)} is not a valid ${field} (0..${MAX[field]})`);
  return Number(raw);
}

interface Entry extends NumberedItem {
  raw: Partial<Record<Field, { setting: ConfSetting; outcome: KeyOutcome }>>;
  values: Partial<Record<Field, string | number>>;
}

function forward(settings: readonly ConfSetting[], ctx: ForwardContext): ForwardResult {
  const result: ForwardResult = { keys: [], warnings: [] };
  const entries = new Map<string, Entry>();
  settings.forEach((setting, position) => {
    const outcome: KeyOutcome = { key: setting.key, location: setting.location, class: 'not-mapped' };
    result.keys.push(outcome);
    if (setting.key === 'module.subscription') {
      applyEnableFlag(setting, outcome, result, TYPE);
      return;
    }
    const m = KEY_RE.exec(setting.key);
    if (!m) {
      outcome.reason = 'unknown key for emqx.conf:subscription';
      result.warnings.push({ code: 'unknown-key', message: `${setting.key} is not a known subscription key`, location: setting.location });
      return;
    }
    const id = m[1]!;
    const field = m[2] as Field;
    let entry = entries.get(id);
    if (!entry) entries.set(id, (entry = { id, position, raw: {}, values: {} }));
    entry.raw[field] = { setting, outcome };
    try {
      entry.values[field] = field === 'topic' ? setting.value : decodeSmallInt(field, setting.value);
    } catch (err) {
      outcome.reason = (err as Error).message;
      result.warnings.push({ code: 'invalid-value', message: `${setting.key}: ${outcome.reason}`, location: setting.location });
    }
  });

  const all = [...entries.values()];
  const is40 = ctx.version !== undefined && /^4\.0(\.|$)/.test(ctx.version);
  if (ctx.version === undefined && orderDependsOnVersion(all)) {
    result.warnings.push({
      code: 'subscription-order-version',
      message: `the order of the proxy subscriptions (ids ${all.map((e) => e.id).join(', ')}) depends on the 4.x version, which is unknown: assumed 4.3/4.4`,
      location: all[0]!.raw.topic?.setting.location ?? Object.values(all[0]!.raw)[0]!.setting.location,
    });
  }
  const topics: ProxyTopic[] = [];
  for (const entry of orderItems(all, is40 ? 'sorted' : listOrderRule(ctx.version))) {
    const topic = entry.values.topic as string | undefined;
    const outcomes = Object.values(entry.raw);
    const drop = (reason: string) => {
      for (const o of outcomes) if (!o.outcome.reason) o.outcome.reason = reason;
      result.warnings.push({ code: 'subscription-dropped', message: `module.subscription.${entry.id}: ${reason}`, location: outcomes[0]!.setting.location });
    };
    if (topic === undefined) {
      drop('no module.subscription.<id>.topic for this id (4.x would fail to start)');
      continue;
    }
    if (!isValidFilter(topic)) {
      drop(`${JSON.stringify(topic)} is not a valid topic filter`);
      continue;
    }
    const index = topics.length;
    const item: ProxyTopic = { topic, ...OUR_DEFAULTS };
    for (const field of ['qos', 'nl', 'rap', 'rh'] as const) {
      const v = (entry.values[field] as number | undefined) ?? LEGACY_DEFAULTS[field];
      if (field === 'nl' || field === 'rap') item[field] = v === 1;
      else item[field] = v;
    }
    topics.push(item);
    for (const [field, raw] of Object.entries(entry.raw) as [Field, { outcome: KeyOutcome }][]) {
      if (raw.outcome.reason) continue; // invalid value: stays not-mapped
      raw.outcome.target = `${TYPE}#/topics/${index}/${field}`;
      raw.outcome.class = field !== 'topic' && item[field] === OUR_DEFAULTS[field] ? 'defaulted' : 'mapped';
    }
  }
  if (entries.size > 0 || result.enabled !== undefined) result.config = { topics };
  return result;
}

function reverse(config: Record<string, unknown>): ConfLine[] {
  const topics = (Array.isArray(config['topics']) ? config['topics'] : []) as Partial<ProxyTopic>[];
  const ids = idsForArrayOrder(topics.length);
  const lines: ConfLine[] = [];
  for (let i = topics.length - 1; i >= 0; i--) {
    const t = topics[i]!;
    const key = `module.subscription.${ids[i]!}`;
    lines.push({ key: `${key}.topic`, value: String(t.topic) });
    lines.push({ key: `${key}.qos`, value: String(t.qos ?? 0) }); // always: absent would mean 1 in 4.x
    if (t.nl) lines.push({ key: `${key}.nl`, value: '1' });
    if (t.rap) lines.push({ key: `${key}.rap`, value: '1' });
    if (t.rh) lines.push({ key: `${key}.rh`, value: String(t.rh) });
  }
  return lines;
}

/** EE `subscription`: `{subscription_opts: [{topic, qos, nl, rap, rh}]}` in array order (0|1 for nl/rap). */
function fromEnterprise(config: Record<string, unknown>, location: ForwardResult['keys'][number]['location']): ForwardResult {
  const result: ForwardResult = {
    keys: enterpriseKeys('subscription', config, location, (k) => (k === 'subscription_opts' ? `${TYPE}#/topics` : undefined)),
    warnings: [],
  };
  const input = Array.isArray(config['subscription_opts']) ? config['subscription_opts'] : [];
  const topics: ProxyTopic[] = [];
  input.forEach((item, i) => {
    if (!isRecord(item) || typeof item['topic'] !== 'string' || !isValidFilter(item['topic'])) {
      result.warnings.push({ code: 'subscription-dropped', message: `subscription_opts[${i}] has no valid topic: dropped`, location });
      return;
    }
    const num = (k: string, max: number) => {
      const v = Number(item[k] ?? 0);
      return Number.isInteger(v) && v >= 0 && v <= max ? v : 0;
    };
    topics.push({ topic: item['topic'], qos: num('qos', 2), nl: num('nl', 1) === 1 || item['nl'] === true, rap: num('rap', 1) === 1 || item['rap'] === true, rh: num('rh', 2) });
  });
  result.config = { topics };
  return result;
}

export const emqxModuleSubscription: LegacyMapping = {
  source: 'emqx.conf:subscription',
  moduleType: TYPE,
  loadedAs: ['emqx_mod_subscription'],
  keyPrefixes: ['module.subscription'],
  enterpriseTypes: ['subscription'],
  forward,
  reverse,
  fromEnterprise,
};
