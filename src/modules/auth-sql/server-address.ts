/** `host:port` (host may be `[v6]`) of the schemas' host-port def; a bare host gets `defaultPort`. */
export function parseServer(server: string, defaultPort: number): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ? Number(bracketed[2]) : defaultPort };
  const colon = server.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(server.slice(colon + 1)) && server.indexOf(':') === colon) {
    return { host: server.slice(0, colon), port: Number(server.slice(colon + 1)) };
  }
  return { host: server, port: defaultPort };
}
