/**
 * A contender process of the handoff rows: several callers share one Redsync, unfenced, so that
 * locks change hands inside the process (passed on in memory, or transferred) as well as through
 * Redis; odd callers renew (autoExtend). Each hold does the read-modify-write of the lost-update
 * probe. Prints its history as one JSON line when done, like contender.ts.
 *
 * Outsider modes, the scenario of a value known outside the library: now and then a holder gives
 * its value to an "outside owner" that, a moment later, releases with it as go-redsync does
 * (compare-and-delete on every node). In `outsider` the holder then releases through the library,
 * which must never pass such a lock on under that value. In `outsider-control` the holder passes
 * the Lock object itself to the next caller of this process, as a pass-on that ignored the
 * outsider would: the checker must see the overlaps that follow.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Redsync, fromIoredis, isLockError, type Lock } from 'redsync-ts';
import { connectUrl } from '../connect.js';
import { runContender, startSignal, tell, type ContenderTask } from './contender-io.js';
import { monotonicMs, type ContenderReport, type Hold } from './history.js';

export type HandoffMode = 'handoff' | 'outsider' | 'outsider-control';

interface Task extends ContenderTask {
  readonly mode: HandoffMode;
}

const CALLERS = 3;
const COMPARE_AND_DELETE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0";

const task = JSON.parse(process.argv[2] ?? '{}') as Task;


const lockClients = task.lockUrls.map((url) => {
  const client = connectUrl(url);
  client.options.retryStrategy = () => 5;
  return client;
});
const resource = new Redis(task.resourceUrl.startsWith('unix://') ? { path: task.resourceUrl.slice(7) } : {});
const report = { holds: [] as Hold[], failedAcquires: 0, acquireLatencies: [] as number[], stale: 0, staleUnaborted: 0, skippedWrites: 0, maxAbortLateness: 0, lost: 0 };
/** Locks handed from caller to caller by the control's naive pass-on. */
const passed: ((lock: Lock) => void)[] = [];

/** The outside owner: releases with `value` a moment later, as go-redsync would. */
function outsideRelease(value: string): void {
  setTimeout(() => {
    for (const client of lockClients) client.eval(COMPARE_AND_DELETE, 1, task.name, value).catch(() => undefined);
  }, Math.random() * 5).unref();
}

/** One hold, from the moment `lock` is ours until it is released or handed on. */
async function hold(lock: Lock, asked: number, renews: boolean): Promise<void> {
  const start = monotonicMs();
  tell({ holding: true });
  report.acquireLatencies.push(start - asked);
  let abortedAt = Number.POSITIVE_INFINITY;
  lock.signal.addEventListener(
    'abort',
    () => {
      abortedAt = monotonicMs();
      if (isLockError(lock.signal.reason) && lock.signal.reason.code === 'LOCK_LOST') report.lost += renews ? 1 : 0;
    },
    { once: true },
  );
  let wrote = false;
  try {
    const read = Number(await resource.get(`${task.name}:counter`));
    await sleep(Math.random() * task.workMs, undefined, { signal: lock.signal }).catch(() => undefined);
    if (lock.remaining() <= 0) {
      report.stale += 1;
      if (!lock.signal.aborted) report.staleUnaborted += 1;
    }
    if (lock.signal.aborted) report.skippedWrites += 1;
    else {
      await resource.set(`${task.name}:counter`, String(read + 1));
      wrote = true;
    }
  } catch {
    // a resource error is not a lock violation; the hold still counts
  }
  const ending = monotonicMs();
  report.holds.push({ proc: task.proc, start, end: Math.min(ending, abortedAt, ending + Math.min(0, lock.remaining())), fence: 0, wrote, fencedAccepted: false });
  tell({ holding: false });
  const leak = task.mode !== 'handoff' && Math.random() < 0.3;
  if (leak) outsideRelease(lock.value);
  const next = leak && task.mode === 'outsider-control' ? passed.shift() : undefined;
  if (next !== undefined) next(lock); // the naive pass-on: same Lock, same value
  else await lock.release().catch(() => undefined);
}

async function caller(rs: Redsync, index: number, until: number): Promise<void> {
  const renews = index % 2 === 1;
  const mutex = rs.mutex(task.name, { autoExtend: renews });
  while (monotonicMs() < until && report.holds.length < task.maxAcquisitions) {
    const asked = monotonicMs();
    // In the control, a caller also takes a lock handed on by another caller of this process;
    // then its own acquire is called off.
    const stop = new AbortController();
    const signal = AbortSignal.any([AbortSignal.timeout(Math.max(1, Math.ceil(until - asked))), stop.signal]);
    let take: ((lock: Lock) => void) | undefined;
    const handed = new Promise<Lock>((resolve) => {
      take = resolve;
      passed.push(resolve);
    });
    let lock: Lock;
    try {
      lock = await Promise.race([mutex.acquire({ signal }), handed]);
    } catch (error) {
      if (!isLockError(error) && !(error instanceof DOMException)) throw error;
      if (monotonicMs() >= until) break;
      report.failedAcquires += 1;
      continue;
    } finally {
      const at = passed.indexOf(take as (lock: Lock) => void);
      if (at !== -1) passed.splice(at, 1);
      stop.abort();
    }
    await hold(lock, asked, renews);
  }
}

async function main(): Promise<ContenderReport> {
  await Promise.allSettled(lockClients.map((c) => c.connect()));
  const rs = new Redsync(
    lockClients.map((c) => fromIoredis(c)),
    { ttl: task.ttl, tries: Number.POSITIVE_INFINITY, retryDelay: () => 2 + Math.random() * 8 },
  );
  const until = await startSignal();
  await Promise.all(Array.from({ length: CALLERS }, (_, i) => caller(rs, i, until)));
  await rs.close();
  for (const c of lockClients) c.disconnect();
  resource.disconnect();
  return report;
}

runContender(main);
