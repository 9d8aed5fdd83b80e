import type { ClientInfo } from '../../broker/hooks.js';
import { isValidFilter } from '../../broker/topic.js';

/**
 * A proxy-subscription topic with `%c` / `%u` placeholders. As in EMQX 4.x emqx_mod_subscription,
 * a placeholder counts only when it is a whole topic level (`a/%c/b`, not `a/x%c`).
 */
export interface TopicTemplate {
  readonly source: string;
  /** The levels, or undefined when the topic has no placeholder (used as is). */
  readonly levels: readonly string[] | undefined;
  readonly usesUsername: boolean;
}

export type Expanded =
  | { ok: true; topic: string }
  | { ok: false; reason: 'username_undefined' | 'empty_topic' | 'invalid_topic' };

export function compileTopic(topic: string): TopicTemplate {
  const levels = topic.split('/');
  const hasPlaceholder = levels.some((l) => l === '%c' || l === '%u');
  return { source: topic, levels: hasPlaceholder ? levels : undefined, usesUsername: levels.includes('%u') };
}

export function expandTopic(template: TopicTemplate, client: Pick<ClientInfo, 'clientId' | 'username'>): Expanded {
  if (template.levels === undefined) return { ok: true, topic: template.source };
  if (template.usesUsername && client.username === undefined) return { ok: false, reason: 'username_undefined' };
  const topic = template.levels
    .map((l) => (l === '%c' ? client.clientId : l === '%u' ? client.username! : l))
    .join('/');
  if (topic.length === 0) return { ok: false, reason: 'empty_topic' };
  // A client id or username holding `+`, `#` or NUL would make a wildcard nobody configured.
  if (!isValidFilter(topic)) return { ok: false, reason: 'invalid_topic' };
  return { ok: true, topic };
}
