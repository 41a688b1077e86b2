/**
 * One contender process of the torture run: takes the lock over and over until its deadline, and
 * under it does a read-modify-write of a counter on a separate resource Redis (the lost-update
 * probe) and a fenced write. Prints its history as one JSON line when done.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Redsync, fencedSet, fromIoredis, isLockError } from 'redsync-ts';
import { connectUrl } from '../connect.js';
import { monotonicMs, type ContenderReport, type Hold } from './history.js';

interface Task {
  readonly proc: number;
  readonly lockUrls: readonly string[];
  readonly resourceUrl: string;
  readonly name: string;
  readonly ttl: number;
  readonly workMs: number;
  readonly until: number;
  readonly maxAcquisitions: number;
}

const task = JSON.parse(process.argv[2] ?? '{}') as Task;

async function main(): Promise<ContenderReport> {
  // Reconnect fast: a node that comes back should be usable again within milliseconds.
  const lockClients = task.lockUrls.map((url) => {
    const client = connectUrl(url);
    client.options.retryStrategy = () => 5;
    return client;
  });
  await Promise.allSettled(lockClients.map((c) => c.connect()));
  const resource = new Redis(task.resourceUrl.startsWith('unix://') ? { path: task.resourceUrl.slice(7) } : {});
  const mutex = new Redsync(lockClients.map((c) => fromIoredis(c)), { ttl: task.ttl, fencing: true, tries: 1_000, retryDelay: () => 2 + Math.random() * 8 }).mutex(task.name);
  const holds: Hold[] = [];
  const acquireLatencies: number[] = [];
  let failedAcquires = 0;
  while (monotonicMs() < task.until && holds.length < task.maxAcquisitions) {
    const asked = monotonicMs();
    let lock;
    try {
      lock = await mutex.acquire({ signal: AbortSignal.timeout(Math.max(1, Math.ceil(task.until - asked))) });
    } catch (error) {
      if (!isLockError(error) && !(error instanceof DOMException)) throw error;
      if (monotonicMs() >= task.until) break; // the run ended while waiting: not a failure
      failedAcquires += 1;
      continue;
    }
    const start = monotonicMs();
    acquireLatencies.push(start - asked);
    // The end of the believed hold, on the shared clock: whichever comes first of abort and validity.
    const validityEnd = start + lock.remaining();
    let abortedAt = Number.POSITIVE_INFINITY;
    lock.signal.addEventListener('abort', () => (abortedAt = monotonicMs()), { once: true });
    let wrote = false;
    let fencedAccepted = false;
    try {
      const read = Number(await resource.get(`${task.name}:counter`));
      await sleep(Math.random() * task.workMs);
      await resource.set(`${task.name}:counter`, String(read + 1));
      wrote = true;
      fencedAccepted = await fencedSet(fromIoredis(resource), `${task.name}:fenced`, String(task.proc), lock.fence ?? 0);
    } catch {
      // a resource error is not a lock violation; the hold still counts
    }
    const releasing = monotonicMs();
    holds.push({ proc: task.proc, start, end: Math.min(releasing, abortedAt, validityEnd), fence: lock.fence ?? 0, wrote, fencedAccepted });
    await lock.release().catch(() => undefined);
  }
  for (const c of lockClients) c.disconnect();
  resource.disconnect();
  return { holds, failedAcquires, acquireLatencies };
}

main().then(
  (report) => {
    process.stdout.write(`${JSON.stringify(report)}\n`, () => process.exit(0));
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
