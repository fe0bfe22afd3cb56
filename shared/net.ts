import * as fs from 'node:fs';
import * as net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago; for tests, the sandbox and the simulator.
 *
 * Chosen outside the kernel's ephemeral range (net.ipv4.ip_local_port_range), at random, and
 * checked by binding it. A port the kernel picked with listen(0) comes from that range, which is
 * also where every outgoing connection takes its source port: between the pick and the server's
 * own bind a connection (a sandbox of 100k znodes opens thousands) can take it, and the server
 * dies with EADDRINUSE. Falls back to the kernel's pick if no port below the range is free.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10000;
  if (low - floor >= 1000) {
    for (let i = 0; i < 50; i++) {
      const port = floor + Math.floor(Math.random() * (low - floor));
      if (!handedOut.has(port) && (await bindable(port))) return take(port);
    }
  }
  for (let i = 0; i < 50; i++) {
    const port = await kernelPort();
    if (!handedOut.has(port)) return take(port);
  }
  throw new Error('no free TCP port on 127.0.0.1');
}

/**
 * Every port this process handed out. A port free now may be one handed out earlier whose owner
 * binds it only later: a ZooKeeper server listens on its quorum port only while it leads, so a
 * sandbox meta given the same port ran until a reconfig made that server the leader.
 */
const handedOut = new Set<number>();

function take(port: number): number {
  handedOut.add(port);
  return port;
}

function ephemeralRange(): [number, number] {
  try {
    const [a, b] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a && b) return [a, b];
  } catch {
    /* not Linux: the usual default */
  }
  return [32768, 60999];
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

function kernelPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}
