/**
 * The Sentinel rows' deployment and fault: one master with one replica, watched by 3 sentinels.
 * The replica is cut off from the master without being stopped: it authenticates to the master
 * as a replication user of its own, and the fault switches that user off and drops the link, so
 * the replica cannot resynchronise but still answers the sentinels, which promote it at once when
 * the master dies. (A stopped replica is marked down by the sentinels and passed over, and a
 * failover that finds no good replica waits twice the failover timeout before it tries again.)
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { startSentinel, type RedisSentinel, type RedisServer } from 'redsync-ts/testing';
import { monotonicMs } from './history.js';
import type { Deployment } from './topology.js';

const REPLICATION_USER = 'torture-replication';

/** Starts the deployment; every data node replicates as `REPLICATION_USER`. */
export async function startSentinelTopology(): Promise<Deployment> {
  const deployment = await startSentinel({ replicas: 1, sentinels: 3, downAfter: 500 });
  const password = randomUUID();
  try {
    for (const server of deployment.servers) await withAdmin(server, (admin) => allowReplication(admin, password));
  } catch (error) {
    await deployment.stop();
    throw error;
  }
  return {
    connection: { kind: 'sentinel', sentinels: deployment.sentinels, name: deployment.masterName },
    lagThenKill: (key, ttl) => sentinelFault(deployment, password, key, ttl),
    stop: () => deployment.stop(),
  };
}

async function allowReplication(admin: Redis, password: string): Promise<void> {
  await admin.call('ACL', 'SETUSER', REPLICATION_USER, 'on', `>${password}`, '+@all', '~*', '&*');
  await admin.call('CONFIG', 'SET', 'masteruser', REPLICATION_USER, 'masterauth', password);
}

async function withAdmin<T>(server: RedisServer, use: (admin: Redis) => Promise<T>): Promise<T> {
  const admin = new Redis({ path: server.socket, maxRetriesPerRequest: 1 });
  admin.on('error', () => undefined);
  try {
    return await use(admin);
  } finally {
    admin.disconnect();
  }
}

/** Bounded wait for `condition` (checked every 20 ms). @throws Error naming `what` on timeout. */
async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = monotonicMs() + 30_000;
  while (!(await condition().catch(() => false))) {
    if (monotonicMs() > deadline) throw new Error(`sentinel fault: timed out waiting for ${what}`);
    await sleep(20);
  }
}

const linkUp = (server: RedisServer): Promise<boolean> => withAdmin(server, async (admin) => (await admin.info('replication')).includes('master_link_status:up'));

/**
 * One fault: the replica (in sync) is cut off, a contender takes the lock on the master (waited
 * for, at most a ttl), the master is killed, and once every sentinel names the replica as master
 * the old one comes back as its replica. It never restarts as a master: empty, it would be a
 * master nobody replicated from for as long as the sentinels take to convert it.
 */
async function sentinelFault(deployment: RedisSentinel, password: string, key: string, ttl: number): Promise<boolean> {
  const master = await deployment.master();
  const replica = deployment.servers.find((server) => server !== master);
  if (replica === undefined) return false;
  await until(() => linkUp(replica), 'the replica to be in sync');
  await withAdmin(master, async (admin) => {
    const before = await admin.get(key);
    await admin.call('ACL', 'SETUSER', REPLICATION_USER, 'off');
    await admin.call('CLIENT', 'KILL', 'TYPE', 'replica');
    const deadline = monotonicMs() + ttl;
    while (monotonicMs() < deadline) {
      const now = await admin.get(key).catch(() => null);
      if (now !== null && now !== before) break;
      await sleep(2);
    }
  });
  await master.kill();
  await deployment.untilMaster(replica);
  await master.restart({ config: { replicaof: `127.0.0.1 ${String(replica.port)}`, masteruser: REPLICATION_USER, masterauth: password } });
  await withAdmin(master, (admin) => allowReplication(admin, password));
  await until(() => linkUp(master), 'the old master to be in sync as a replica');
  return true;
}
