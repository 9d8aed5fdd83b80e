/** The acl-file config shape (schemas/modules/acl-file/v1.json), as the migrator writes it. */

export type AclWhoConfig =
  | { kind: 'all' }
  | { kind: 'user' | 'client'; value: string }
  | { kind: 'user' | 'client'; all: true }
  | { kind: 'ipaddr'; cidr: string }
  | { kind: 'ipaddrs'; cidrs: string[] }
  | { kind: 'and' | 'or'; of: AclWhoConfig[] };

export type AclTopicConfig = { filter: string } | { eq: string };

export interface AclRuleConfig {
  permission: 'allow' | 'deny';
  who: AclWhoConfig;
  access: 'publish' | 'subscribe' | 'pubsub';
  /** Absent = every topic, $-topics included (4.x `{allow|deny, all}`). */
  topics?: AclTopicConfig[];
}

export interface AclFileConfig {
  rules: AclRuleConfig[];
}
