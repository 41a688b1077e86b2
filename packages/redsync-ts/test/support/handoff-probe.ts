/**
 * Probes for handoff tests: counts of the lock commands a set of nodes was sent, and a wait for
 * the release channel's subscribers.
 */
import type { RedisNode } from '../../src/index.js';
import { releaseChannelOf } from '../../src/keys.js';
import { lockReclaim, lockRelease, lockTransfer } from '../../src/scripts/index.js';
import { until, type TestCluster } from './cluster.js';

export const MINUTE = 60_000;
/** Minute-long ttls and retry delays: only a handoff or a notification explains a quick grant. */
export const SLOW = { ttl: MINUTE, retryDelay: MINUTE, tries: 1000 };

/** Wrapped nodes, and per node-round counts of what they were sent. */
export interface CommandProbe {
  readonly nodes: RedisNode[];
  /** Attempts: reclaim scripts answered. */
  attempts(): number;
  transfers(): number;
  /** Real releases (the release script) sent. */
  releases(): number;
}

/** Counts, per node-round, the attempts (reclaim scripts answered), handoffs and real releases sent. */
export function counting(nodes: readonly RedisNode[], onTransfer?: () => void): CommandProbe {
  const sent = { reclaims: 0, transfers: 0, releases: 0 };
  const wrapped: RedisNode[] = nodes.map((node) => ({
    ...node,
    evalsha: (sha: string, keys: readonly string[], args: readonly string[]) => {
      // Counted when the answer arrives: by the next macrotask the attempt's caller has acted on
      // it (it went back to sleep, say), which is what the tests wait for.
      if (sha === lockReclaim.sha1) return node.evalsha(sha, keys, args).finally(() => (sent.reclaims += 1));
      if (sha === lockRelease.sha1) sent.releases += 1;
      if (sha === lockTransfer.sha1) {
        sent.transfers += 1;
        onTransfer?.();
      }
      return node.evalsha(sha, keys, args);
    },
  }));
  const per = (count: number): number => count / nodes.length;
  return { nodes: wrapped, attempts: () => per(sent.reclaims), transfers: () => per(sent.transfers), releases: () => per(sent.releases) };
}

/** Resolves once every server has a subscriber on `key`'s release channel. */
export function subscribed(cluster: TestCluster, key: string): Promise<void> {
  return until(async () => {
    const counts = await Promise.all(cluster.admin.map(async (admin) => Number((await admin.pubsub('NUMSUB', releaseChannelOf(key)))[1])));
    return counts.every((count) => count > 0);
  }, `a subscriber on ${key}`);
}
