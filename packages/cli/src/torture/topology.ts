/**
 * The topology rows: the lock on one Redis Cluster or one Sentinel-managed master (a single
 * Redsync node whose replicas take over when a master dies), instead of 5 independent masters. The fault is the one replication
 * cannot cover: the replica falls behind (cut off, then stopped), a contender takes
 * the lock on the master, and the master dies before the replica has it. The replica is then
 * promoted without the lock, and a second contender can take it while the first still holds it.
 * With `waitReplicas: 1`, a vote counts only once the replica acknowledged the write: no hold is
 * granted on what the replica does not have. The controls run the same fault without it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { keySlot } from 'redsync-ts';
import { startCluster, type ClusterAddress, type RedisCluster, type RedisServer, type SentinelAddress } from 'redsync-ts/testing';
import { monotonicMs } from './history.js';
import { startSentinelTopology } from './sentinel-fault.js';

/** How a contender reaches the deployment (JSON in its task). */
export type TopologyConnection =
  | { readonly kind: 'cluster'; readonly addresses: readonly ClusterAddress[] }
  | { readonly kind: 'sentinel'; readonly sentinels: readonly SentinelAddress[]; readonly name: string };

export interface TopologyRow {
  readonly kind: TopologyConnection['kind'];
  readonly waitReplicas: number;
}

export const TOPOLOGY_ROWS: Readonly<Record<string, TopologyRow>> = {
  'Cluster: master of the lock slot killed, its replica lagging (waitReplicas 1)': { kind: 'cluster', waitReplicas: 1 },
  'UNSAFE: Cluster: master of the lock slot killed, its replica lagging (no waitReplicas)': { kind: 'cluster', waitReplicas: 0 },
  'Sentinel: master killed, its replica cut off (waitReplicas 1)': { kind: 'sentinel', waitReplicas: 1 },
  'UNSAFE: Sentinel: master killed, its replica cut off (no waitReplicas)': { kind: 'sentinel', waitReplicas: 0 },
};

/**
 * The rows' ttl: a failover (a node timeout of 500 ms, then the election) must end while the
 * holder that lost its key still holds, for the control to show what it costs.
 */
export const TOPOLOGY_TTL = 4000;

/** A running deployment: how to reach it, the fault, and how to stop it. */
export interface Deployment {
  readonly connection: TopologyConnection;
  /** One fault; false when it could not be set up (no replica to lag). */
  lagThenKill(lockKey: string, ttl: number): Promise<boolean>;
  stop(): Promise<void>;
}

/**
 * The row's deployment. Cluster: 3 masters with a replica each, a node timeout of 500 ms.
 * Sentinel: see sentinel-fault.ts.
 */
export async function startTopology(kind: TopologyRow['kind']): Promise<Deployment> {
  if (kind === 'sentinel') return startSentinelTopology();
  const cluster = await startCluster({ masters: 3, replicasPerMaster: 1, nodeTimeout: 500 });
  return {
    connection: { kind, addresses: cluster.addresses },
    lagThenKill: (key, ttl) => clusterFault(cluster, key, ttl),
    stop: () => cluster.stop(),
  };
}

async function clusterFault(cluster: RedisCluster, key: string, ttl: number): Promise<boolean> {
  const master = await cluster.masterOf(keySlot(key));
  const [replica] = await cluster.replicasOf(master);
  if (replica === undefined) return false;
  await lagThenKill(master, replica, key, ttl);
  // The replica must have taken over before the master comes back: restarted empty while still
  // the master, it would wipe the replica's copy (the no-persistence caveat, not this row's fault).
  const deadline = monotonicMs() + 30_000;
  while ((await cluster.masterOf(keySlot(key)).catch(() => undefined)) !== replica) {
    if (monotonicMs() > deadline) throw new Error('cluster fault: the replica was not promoted within 30 s');
    await sleep(20);
  }
  await cluster.waitUntilOk();
  await master.restart(); // it rejoins as a replica of the new master
  await cluster.waitUntilOk();
  return true;
}

/**
 * Cuts `replica`'s link to `master` and stops the replica before it reconnects (it retries once a
 * second), waits (at most a ttl) until the lock key on `master` holds a value written since, then
 * kills `master` and lets the replica go on: it is promoted without that hold. (A stop alone would
 * not do: what the master sent sits in the stopped replica's socket buffer and is applied when it
 * resumes.)
 */
async function lagThenKill(master: RedisServer, replica: RedisServer, key: string, ttl: number): Promise<void> {
  const admin = new Redis({ path: master.socket, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  const read = (): Promise<string | null> => admin.get(key).catch(() => null);
  try {
    const before = await read();
    const link = new Redis({ path: replica.socket, maxRetriesPerRequest: 1 });
    link.on('error', () => undefined);
    await link.call('CLIENT', 'KILL', 'TYPE', 'master').catch(() => undefined);
    replica.pause();
    link.disconnect();
    const deadline = monotonicMs() + ttl;
    while (monotonicMs() < deadline) {
      const now = await read();
      if (now !== null && now !== before) break;
      await sleep(2);
    }
    await master.kill();
  } finally {
    replica.resume();
    admin.disconnect();
  }
}
