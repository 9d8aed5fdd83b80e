import { hostname } from 'node:os';

/**
 * Expands an EMQX 5 style Pushgateway job name template. `${name}` is the node name before `@`
 * (the whole name when it has none) and `${host}` the part after `@` (this machine's hostname when
 * the node name has no `@`). Other `${...}` are kept as written. The default
 * `${name}/instance/${name}~${host}` gives the path `job/<name>/instance/<name>~<host>`, which
 * Pushgateway reads as job=<name> plus the grouping label instance=<name>~<host>.
 */
export function expandJobName(template: string, nodeName: string, fallbackHost: string = hostname()): string {
  const at = nodeName.indexOf('@');
  const name = at < 0 ? nodeName : nodeName.slice(0, at);
  const host = at < 0 ? fallbackHost : nodeName.slice(at + 1);
  return template.replace(/\$\{(name|host)\}/g, (_m, key: string) => (key === 'name' ? name : host));
}

/** `<url>/metrics/job/<job>`; each `/`-separated part of the job is URL-encoded, the slashes kept. */
export function pushEndpoint(baseUrl: string, job: string): string {
  const base = baseUrl.replace(/\/+$/, '');
  return `${base}/metrics/job/${job.split('/').map(encodeURIComponent).join('/')}`;
}
