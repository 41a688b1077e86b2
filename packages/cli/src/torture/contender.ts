/**
 * One contender process of the torture run: takes the lock over and over until its deadline, and
 * under it does a read-modify-write of a counter on a separate resource Redis (the lost-update
 * probe) and a fenced write. Prints its history as one JSON line when done. Tells the parent over
 * IPC when it holds the lock, and obeys its "partition yourself" commands.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster, Redis } from 'ioredis';
import { Redsync, fencedSet, fromIoredis, isLockError } from 'redsync-ts';
import { FaultProxy } from 'redsync-ts/testing';
import { connectUrl } from '../connect.js';
import { runContender, startSignal, tell, type ContenderTask } from './contender-io.js';
import type { TopologyConnection } from './topology.js';
import { monotonicMs, type ContenderCommand, type ContenderReport, type Hold } from './history.js';

interface Task extends ContenderTask {
  /** Connect through proxies of our own, so that this process alone can be partitioned; renew. */
  readonly partitionable: boolean;
  /** A topology row: the one node is this Cluster or Sentinel-managed master (lockUrls unused). */
  readonly topology?: TopologyConnection;
  readonly waitReplicas: number;
  /** The shortest work per hold (topology rows: holds outlast a failover). */
  readonly workFloorMs: number;
}

const task = JSON.parse(process.argv[2] ?? '{}') as Task;

async function lockUrls(proxies: FaultProxy[]): Promise<string[]> {
  if (!task.partitionable) return [...task.lockUrls];
  for (const url of task.lockUrls) proxies.push(await FaultProxy.start({ port: Number(new URL(url).port) }));
  process.on('message', (command: ContenderCommand) => {
    if (!('partition' in command)) return;
    const cut = proxies.slice(0, 3);
    for (const proxy of cut) proxy.blackhole();
    setTimeout(() => {
      for (const proxy of cut) proxy.heal();
    }, command.partition).unref();
  });
  return proxies.map((p) => `redis://127.0.0.1:${String(p.port)}`);
}


/** A client of a topology row's deployment: it follows failovers by itself. */
function topologyClient(topology: TopologyConnection): Redis | Cluster {
  const client =
    topology.kind === 'cluster'
      ? new Cluster([...topology.addresses], { redisOptions: { maxRetriesPerRequest: 1 }, clusterRetryStrategy: () => 50, lazyConnect: true })
      : new Redis({ sentinels: [...topology.sentinels], name: topology.name, maxRetriesPerRequest: 1, sentinelRetryStrategy: () => 50, retryStrategy: () => 20, lazyConnect: true });
  client.on('error', () => undefined);
  return client;
}

async function main(): Promise<ContenderReport> {
  const proxies: FaultProxy[] = [];
  // Reconnect fast: a node that comes back should be usable again within milliseconds.
  const lockClients = task.topology !== undefined ? [topologyClient(task.topology)] : (await lockUrls(proxies)).map((url) => {
    const client = connectUrl(url);
    client.options.retryStrategy = () => 5;
    return client;
  });
  await Promise.allSettled(lockClients.map((c) => c.connect()));
  const resource = new Redis(task.resourceUrl.startsWith('unix://') ? { path: task.resourceUrl.slice(7) } : {});
  const rs = new Redsync(
    lockClients.map((c) => fromIoredis(c)),
    { ttl: task.ttl, fencing: true, tries: 1_000, retryDelay: () => 2 + Math.random() * 8, autoExtend: task.partitionable, waitReplicas: task.waitReplicas },
  );
  const mutex = rs.mutex(task.name);
  // The run's clock starts when every contender is connected: a slow start (a loaded CI machine
  // loading modules) must not eat the window and leave a run that granted nothing.
  const until = await startSignal();
  const holds: Hold[] = [];
  const acquireLatencies: number[] = [];
  let [failedAcquires, stale, staleUnaborted, skippedWrites, maxAbortLateness, lost] = [0, 0, 0, 0, 0, 0];
  while (monotonicMs() < until && holds.length < task.maxAcquisitions) {
    const asked = monotonicMs();
    let lock;
    try {
      lock = await mutex.acquire({ signal: AbortSignal.timeout(Math.max(1, Math.ceil(until - asked))) });
    } catch (error) {
      if (!isLockError(error) && !(error instanceof DOMException)) throw error;
      if (monotonicMs() >= until) break; // the run ended while waiting: not a failure
      failedAcquires += 1;
      continue;
    }
    const start = monotonicMs();
    tell({ holding: true });
    acquireLatencies.push(start - asked);
    let abortedAt = Number.POSITIVE_INFINITY;
    const held = lock;
    held.signal.addEventListener(
      'abort',
      () => {
        abortedAt = monotonicMs();
        maxAbortLateness = Math.max(maxAbortLateness, -held.remaining());
        if (isLockError(held.signal.reason) && held.signal.reason.code === 'LOCK_LOST') lost += 1;
      },
      { once: true },
    );
    let wrote = false;
    let fencedAccepted = false;
    try {
      const read = Number(await resource.get(`${task.name}:counter`));
      // Work stops when the lock is lost, as work handed the signal would.
      await sleep(task.workFloorMs + Math.random() * (task.workMs - task.workFloorMs), undefined, { signal: lock.signal }).catch(() => undefined);
      if (lock.remaining() <= 0) {
        stale += 1;
        if (!lock.signal.aborted) staleUnaborted += 1;
      }
      // The careful user's check before writing; the fenced write below goes ahead regardless, as
      // if the pause had struck between this check and the write: fencing must reject it.
      if (lock.signal.aborted) skippedWrites += 1;
      else {
        await resource.set(`${task.name}:counter`, String(read + 1));
        wrote = true;
      }
      fencedAccepted = await fencedSet(fromIoredis(resource), `${task.name}:fenced`, String(task.proc), lock.fence ?? 0);
    } catch {
      // a resource error is not a lock violation; the hold still counts
    }
    const releasing = monotonicMs();
    // The end of the believed hold: release, loss signal or validity end, whichever came first.
    const validityEnd = releasing + Math.min(0, lock.remaining());
    holds.push({ proc: task.proc, start, end: Math.min(releasing, abortedAt, validityEnd), fence: lock.fence ?? 0, wrote, fencedAccepted });
    tell({ holding: false });
    await lock.release().catch(() => undefined);
  }
  await rs.close();
  for (const c of lockClients) c.disconnect();
  resource.disconnect();
  await Promise.all(proxies.map((p) => p.close()));
  return { holds, failedAcquires, acquireLatencies, stale, staleUnaborted, skippedWrites, maxAbortLateness, lost };
}

runContender(main);
