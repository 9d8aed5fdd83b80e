/** How the CLI says where a module runs in a cluster: `running 2/3, failed on n2: <error>`. */

export interface ModuleOnNode {
  node: string;
  state: string;
  error?: string;
  reason?: string;
}

export function formatModuleNodes(nodes: ModuleOnNode[]): string {
  if (nodes.length === 0) return '-';
  const total = nodes.length;
  const first = nodes[0]!.state;
  if (nodes.every((n) => n.state === first)) {
    const problem = nodes.find((n) => n.error !== undefined || n.reason !== undefined);
    const why = first === 'running' || problem === undefined ? '' : `: ${problem.error ?? problem.reason}`;
    return `${first} ${total}/${total}${why}`;
  }
  const running = nodes.filter((n) => n.state === 'running').length;
  const others = nodes
    .filter((n) => n.state !== 'running')
    .map((n) => {
      const why = n.error ?? n.reason;
      return `${n.state} on ${n.node}${why === undefined ? '' : `: ${why}`}`;
    });
  return [`running ${running}/${total}`, ...others].join(', ');
}

/** `4 running, 1 failed` for one node's module list. */
export function formatStateCounts(modules: Array<{ state: string }> | null | undefined): string {
  if (!modules) return '-';
  if (modules.length === 0) return 'none';
  const counts = new Map<string, number>();
  for (const m of modules) counts.set(m.state, (counts.get(m.state) ?? 0) + 1);
  return [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
}
