import net from 'node:net';

/** Whether something on this machine listens on the port (a bind on 127.0.0.1 fails). */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(true));
    probe.listen(port, host, () => probe.close(() => resolve(false)));
  });
}

/** The first port above every domain's that nothing listens on: where a new domain goes by default. */
export async function nextFreePort(taken: ReadonlySet<number>): Promise<number> {
  let port = Math.max(4000, ...taken) + 1;
  while (taken.has(port) || (await portInUse(port))) port++;
  return port;
}
