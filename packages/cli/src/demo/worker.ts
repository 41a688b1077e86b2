/**
 * One demo worker process: sells from the shared stock record until it is empty, with or without
 * the lock, then reports to the parent over IPC.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redsync, fromIoredis, isLockError } from 'redsync-ts';
import { connectAll, connectUrl } from '../connect.js';
import type { WorkerReport, WorkerTask } from './protocol.js';

const task = JSON.parse(process.argv[2] ?? '{}') as WorkerTask;

/** The read-modify-write the lock must protect: read stock, think, write stock - 1. */
async function sellOne(stock: import('ioredis').Redis): Promise<boolean> {
  const current = Number(await stock.get(task.stockKey));
  if (current <= 0) return false;
  await sleep(task.latencyMs * (0.5 + Math.random()));
  await stock.set(task.stockKey, String(current - 1));
  return true;
}

async function main(): Promise<WorkerReport> {
  const [stock] = await connectAll([task.stockUrl]);
  if (stock === undefined) throw new Error('no stock server');
  // A lock node that is down is what Redlock tolerates: connect what can be reached, and let
  // ioredis keep retrying the rest in the background.
  const lockClients = task.mode === 'redlock' ? task.lockUrls.map(connectUrl) : [];
  await Promise.allSettled(lockClients.map((c) => c.connect()));
  process.send?.({ ready: true });
  // Waiters are woken by the release itself; the short retry delay only bounds a wake-up lost
  // with the lock node killed midway.
  const mutex =
    task.mode === 'redlock'
      ? new Redsync(lockClients.map((c) => fromIoredis(c))).mutex(task.lockName, { ttl: 5_000, tries: 10_000, retryDelay: () => 2 + Math.random() * 8 })
      : undefined;
  let sold = 0;
  let lockFailures = 0;
  const lockLatencies: number[] = [];
  for (;;) {
    if (mutex === undefined) {
      if (!(await sellOne(stock))) break;
      sold += 1;
      continue;
    }
    const asked = performance.now();
    let lock;
    try {
      lock = await mutex.acquire();
    } catch (error) {
      if (!isLockError(error)) throw error;
      lockFailures += 1;
      continue;
    }
    lockLatencies.push(performance.now() - asked);
    try {
      if (!(await sellOne(stock))) break;
      sold += 1;
    } finally {
      await lock.release().catch(() => undefined);
    }
  }
  stock.disconnect();
  for (const c of lockClients) c.disconnect();
  return { sold, lockLatencies, lockFailures };
}

main().then(
  (report) => {
    process.send?.(report, () => process.exit(0));
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
