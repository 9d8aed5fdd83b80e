/** Semantic checks the schema cannot express: CIDRs parse, topic filters are valid filters. */
import { isValidFilter } from '../../broker/topic.js';
import type { Problem } from '../../schema/problem.js';
import { parseCidr } from '../auth-common/ip-match.js';
import type { AclFileConfig, AclWhoConfig } from './config.js';

function checkWho(who: AclWhoConfig, pointer: string, problems: Problem[]): void {
  const badCidr = (cidr: string, at: string): void => {
    if (parseCidr(cidr) === null) problems.push({ pointer: at, keyword: 'cidr', message: `${JSON.stringify(cidr)} is not an IP address or CIDR` });
  };
  switch (who.kind) {
    case 'ipaddr':
      badCidr(who.cidr, `${pointer}/cidr`);
      break;
    case 'ipaddrs':
      who.cidrs.forEach((c, i) => badCidr(c, `${pointer}/cidrs/${i}`));
      break;
    case 'and':
    case 'or':
      who.of.forEach((w, i) => checkWho(w, `${pointer}/of/${i}`, problems));
      break;
    default:
      break;
  }
}

export function checkAclFile(config: AclFileConfig): Problem[] {
  const problems: Problem[] = [];
  (config.rules ?? []).forEach((rule, i) => {
    checkWho(rule.who, `/rules/${i}/who`, problems);
    (rule.topics ?? []).forEach((topic, j) => {
      if ('filter' in topic && !isValidFilter(topic.filter)) {
        problems.push({ pointer: `/rules/${i}/topics/${j}/filter`, keyword: 'topic-filter', message: `${JSON.stringify(topic.filter)} is not a valid MQTT topic filter` });
      }
    });
  });
  return problems;
}
