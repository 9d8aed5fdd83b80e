/** 4.x version strings (`4.3`, `4.3.13`, `4.4.19`) compared numerically; a missing part counts as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** True when `version` is at least the given release of its own minor line (`4.3.13` for 4.3, `4.4.2` for 4.4). */
export function atLeastPatch(version: string, perMinor: Record<string, string>): boolean {
  const minor = version.split('.').slice(0, 2).join('.');
  const since = perMinor[minor];
  if (since === undefined) return compareVersions(version, Object.values(perMinor).sort(compareVersions)[0] ?? '0') >= 0;
  return compareVersions(version, since) >= 0;
}
