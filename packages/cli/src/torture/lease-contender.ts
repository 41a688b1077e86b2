/**
 * A contender process of the semaphore and read-write lock rows: several callers share one
 * Redsync and take holds over and over, each working a while. Every hold is recorded as the
 * holder believed it (from acquire returning to release, loss signal or validity end).
 *
 * Semaphore rows: permits of one semaphore (limit {@link SEMAPHORE_LIMIT}, mode 'quorum' on the 5
 * nodes); the checker counts holds that began while the limit was already reached. Its control
 * builds the unsafe quorum semaphore from public parts: one single-node semaphore of limit L per
 * node, and a permit counts once 3 of the 5 admitted (per-node limit = L, 3 votes: up to
 * floor(5 * L / 3) holders). The checker must see it go past L.
 *
 * Read-write rows: two callers read, one writes; the checker counts holds that began beside a
 * conflicting one. Its control's readers skip the writer (a semaphore of their own stands in for
 * the read side), so they read beside writers.
 *
 * Multi-lock rows: each caller takes a random pair of 3 names, in random order; the checker counts
 * intersecting holds of one name. Fair lock rows: every caller takes one fair lock; the checker
 * counts intersecting holds. Their controls give each process a Redsync over one node of its own:
 * no majority is shared, so holds overlap, and the checker must see it.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redsync, fromIoredis, isLockError, type Permit, type RedisNode, type Semaphore } from 'redsync-ts';
import { connectUrl } from '../connect.js';
import { runContender, startSignal, tell, type ContenderTask } from './contender-io.js';
import { monotonicMs, type ContenderReport, type Hold } from './history.js';
import { SEMAPHORE_LIMIT } from './semaphore-limit.js';

const CALLERS = 3;

interface Task extends ContenderTask {
  readonly kind: 'semaphore' | 'rwlock' | 'multilock' | 'fair';
  /** The control: the unsafe quorum semaphore, or readers that skip the writer. */
  readonly blind: boolean;
}

const task = JSON.parse(process.argv[2] ?? '{}') as Task;
const clients = task.lockUrls.map((url) => {
  const client = connectUrl(url);
  client.options.retryStrategy = () => 5;
  return client;
});
const report = { holds: [] as Hold[], failedAcquires: 0, acquireLatencies: [] as number[], stale: 0, staleUnaborted: 0, skippedWrites: 0, maxAbortLateness: 0, lost: 0 };

/** What a caller holds: one permit, or (the control) the single-node permits it gathered. */
interface Held {
  readonly signal: AbortSignal;
  remaining(): number;
  release(): Promise<unknown>;
}

/** The control's permit: admitted by at least 3 of the 5 single-node semaphores. */
async function unsafeQuorumPermit(singles: readonly Semaphore[]): Promise<Held | null> {
  const answers = await Promise.all(singles.map((s) => s.tryAcquire().catch(() => null)));
  const permits = answers.filter((p): p is Permit => p !== null);
  if (permits.length < 3) {
    await Promise.all(permits.map((p) => p.release().catch(() => undefined)));
    return null;
  }
  return {
    signal: AbortSignal.any(permits.map((p) => p.signal)),
    remaining: () => Math.min(...permits.map((p) => p.remaining())),
    release: () => Promise.all(permits.map((p) => p.release().catch(() => undefined))),
  };
}

async function hold(held: Held, asked: number, writer: boolean, resources?: readonly string[]): Promise<void> {
  const start = monotonicMs();
  tell({ holding: true });
  report.acquireLatencies.push(start - asked);
  let abortedAt = Number.POSITIVE_INFINITY;
  const onAbort = (): void => {
    abortedAt = monotonicMs();
    if (isLockError(held.signal.reason) && held.signal.reason.code === 'LOCK_LOST') report.lost += 1;
  };
  if (held.signal.aborted) onAbort();
  else held.signal.addEventListener('abort', onAbort, { once: true });
  await sleep(Math.random() * task.workMs, undefined, { signal: held.signal }).catch(() => undefined);
  if (held.remaining() <= 0) {
    report.stale += 1;
    if (!held.signal.aborted) report.staleUnaborted += 1;
  }
  const ending = monotonicMs();
  // No fence: in mode 'quorum' the permits' tokens do not order grants (see Permit.fence).
  report.holds.push({ proc: task.proc, start, end: Math.min(ending, abortedAt, ending + Math.min(0, held.remaining())), fence: 0, wrote: false, fencedAccepted: false, writer, ...(resources === undefined ? {} : { resources }) });
  tell({ holding: false });
  await held.release().catch(() => undefined);
}

/** What a caller asks for: a hold, and (multi-lock rows) the names it covers. */
type Take = () => { held: Promise<Held | null>; resources?: readonly string[] };

async function caller(take: Take, until: number, writer = false): Promise<void> {
  while (monotonicMs() < until && report.holds.length < task.maxAcquisitions) {
    const asked = monotonicMs();
    let held: Held | null = null;
    const asking = take();
    try {
      held = await asking.held;
    } catch (error) {
      if (!isLockError(error) && !(error instanceof DOMException)) throw error;
    }
    if (held === null) {
      if (monotonicMs() >= until) break;
      report.failedAcquires += 1;
      await sleep(2 + Math.random() * 8);
      continue;
    }
    await hold(held, asked, writer, asking.resources);
  }
}

/** The semaphore rows' callers: all alike. */
function semaphoreTake(fleet: readonly Redsync[], until: number): Take {
  if (task.blind) {
    const singles = fleet.map((rs) => rs.semaphore(task.name, { limit: SEMAPHORE_LIMIT }));
    return () => ({ held: unsafeQuorumPermit(singles) });
  }
  const semaphore = (fleet[0] as Redsync).semaphore(task.name, { limit: SEMAPHORE_LIMIT, mode: 'quorum' });
  return () => ({ held: semaphore.acquire({ timeout: Math.max(1, until - monotonicMs()) }) });
}

/** The multi-lock rows' callers: a random pair of 3 names each time, in random order. */
function multiTake(rs: Redsync, until: number): Take {
  const names = ['a', 'b', 'c'].map((n) => `${task.name}:${n}`);
  return () => {
    const pair = [...names].sort(() => Math.random() - 0.5).slice(0, 2);
    return { held: rs.multiLock(pair).acquire({ timeout: Math.max(1, until - monotonicMs()) }), resources: pair };
  };
}

/** The fair lock rows' callers: all alike. */
function fairTake(rs: Redsync, until: number): Take {
  const lock = rs.fairLock(task.name);
  return () => ({ held: lock.acquire({ timeout: Math.max(1, until - monotonicMs()) }) });
}

/** The read-write rows' callers: [reader, reader, writer]. */
function rwTakes(rs: Redsync, until: number): Take[] {
  const lock = rs.rwlock(task.name);
  const left = (): { timeout: number } => ({ timeout: Math.max(1, until - monotonicMs()) });
  const reader = task.blind ? rs.semaphore(`${task.name}:blind-readers`, { limit: 1000, mode: 'quorum' }) : lock.read();
  const read: Take = () => ({ held: reader.acquire(left()) });
  return [read, read, () => ({ held: lock.write().acquire(left()) })];
}

async function main(): Promise<ContenderReport> {
  await Promise.allSettled(clients.map((c) => c.connect()));
  const nodes = clients.map((c) => fromIoredis(c));
  const separate = task.blind && task.kind === 'semaphore';
  // The multi-lock and fair lock controls: one node per process, so no majority is shared.
  const alone = task.blind && (task.kind === 'multilock' || task.kind === 'fair');
  const fleet = separate ? nodes.map((node) => new Redsync([node], { ttl: task.ttl })) : [new Redsync(alone ? [nodes[task.proc % nodes.length] as RedisNode] : nodes, { ttl: task.ttl })];
  const until = await startSignal();
  if (task.kind !== 'rwlock') {
    const rs = fleet[0] as Redsync;
    const take = task.kind === 'semaphore' ? semaphoreTake(fleet, until) : task.kind === 'multilock' ? multiTake(rs, until) : fairTake(rs, until);
    await Promise.all(Array.from({ length: CALLERS }, () => caller(take, until)));
  } else {
    await Promise.all(rwTakes(fleet[0] as Redsync, until).map((take, i) => caller(take, until, i === 2)));
  }
  await Promise.all(fleet.map((rs) => rs.close()));
  for (const c of clients) c.disconnect();
  return report;
}

runContender(main);
