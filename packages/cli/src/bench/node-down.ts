/**
 * Release latency with one of three nodes down (SIGSTOPped: it holds the connection but never
 * answers, the worst kind of down). A release settles once a quorum answered; before that change
 * every release waited for the silent node's per-node timeout (ttl * timeoutFactor, 400 ms at the
 * default ttl). Acquisitions settle on a win, so they are not slowed either.
 */
import { Redis } from 'ioredis';
import { Redsync, fromIoredis } from 'redsync-ts';
import type { RedisServer } from 'redsync-ts/testing';
import { percentile } from '../percentile.js';

export interface NodeDownRow {
  readonly releases: number;
  readonly releaseP50: number;
  readonly releaseP99: number;
  readonly acquireP50: number;
  /** What every release waited before: the per-node timeout at the default ttl. */
  readonly perNodeTimeout: number;
}

const DEFAULT_TTL = 8000;
const TIMEOUT_FACTOR = 0.05;

export async function releaseWithNodeDown(servers: readonly RedisServer[], pairs: number): Promise<NodeDownRow> {
  const clients = servers.map((s) => new Redis({ path: s.socket, maxRetriesPerRequest: 1 }));
  const rs = new Redsync(clients.map((c) => fromIoredis(c)));
  const [releases, acquires]: [number[], number[]] = [[], []];
  const down = servers[2] as RedisServer;
  try {
    for (let i = 0; i < 50; i++) await (await rs.mutex('bench:down:warm').acquire()).release();
    down.pause();
    for (let i = 0; i < pairs; i++) {
      const start = performance.now();
      const lock = await rs.mutex(`bench:down:${String(i % 16)}`).acquire();
      const acquired = performance.now();
      await lock.release();
      acquires.push(acquired - start);
      releases.push(performance.now() - acquired);
    }
  } finally {
    down.resume();
    await rs.close();
    for (const c of clients) c.disconnect();
  }
  return { releases: pairs, releaseP50: percentile(releases, 50), releaseP99: percentile(releases, 99), acquireP50: percentile(acquires, 50), perNodeTimeout: DEFAULT_TTL * TIMEOUT_FACTOR };
}
