/**
 * The fault injectors. Each runs until the deadline and returns how many faults it injected. They
 * only touch the run's own servers and proxies (loopback, unix sockets).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import type { Redis } from 'ioredis';
import type { FaultProxy, RedisServer } from 'redsync-ts/testing';
import { monotonicMs } from './history.js';
import { TOPOLOGY_ROWS, type Deployment } from './topology.js';

/** The contender processes, and which of them holds the lock now (from their IPC reports). */
export interface Contenders {
  readonly children: readonly ChildProcess[];
  holder(): number | undefined;
}

export interface Bench {
  readonly contenders: Contenders;
  readonly servers: readonly RedisServer[];
  readonly proxies: readonly FaultProxy[];
  readonly admin: readonly Redis[];
  readonly lockKey: string;
  readonly ttl: number;
  readonly until: number;
  /** The Cluster or Sentinel deployment of a topology row (then there are no servers or proxies). */
  readonly deployment?: Deployment | undefined;
}

export type Nemesis = (bench: Bench) => Promise<number>;

const pick = <T>(items: readonly T[], count: number): T[] => [...items].sort(() => Math.random() - 0.5).slice(0, count);
const between = (low: number, high: number): number => low + Math.random() * (high - low);

async function repeat(bench: Bench, pause: () => number, act: () => Promise<unknown>): Promise<number> {
  let faults = 0;
  while (monotonicMs() < bench.until) {
    await sleep(pause());
    if (monotonicMs() >= bench.until) break;
    await act();
    faults += 1;
  }
  return faults;
}

/** Waits (bounded) until the lock key is held on the first node, so a fault hits a holder. */
async function whileHeld(bench: Bench): Promise<void> {
  while (monotonicMs() < bench.until && (await bench.admin[0]?.exists(bench.lockKey).catch(() => 0)) !== 1) await sleep(2);
}

/** Waits (bounded) until some contender process reports that it holds the lock; returns it. */
async function aHolder(bench: Bench): Promise<number | undefined> {
  for (let proc = bench.contenders.holder(); monotonicMs() < bench.until; proc = bench.contenders.holder()) {
    if (proc !== undefined) return proc;
    await sleep(1);
  }
  return undefined;
}

/** Forward clock jumps accumulate: each one moves the node's clock `step` seconds further on. */
function jumper(step: number): (server: RedisServer) => void {
  const offsets = new Map<RedisServer, number>();
  return (server) => {
    const offset = (offsets.get(server) ?? 0) + step;
    offsets.set(server, offset);
    server.jumpClock(offset);
  };
}

/** Stops a process that holds the lock (or runs a loader) for `ttls` ttls, again and again. */
function pauseHolder(b: Bench, ttls: number, pause: () => number): Promise<number> {
  return repeat(b, pause, async () => {
    const proc = await aHolder(b);
    const child = proc === undefined ? undefined : b.contenders.children[proc];
    if (child === undefined) return;
    child.kill('SIGSTOP');
    await sleep(b.ttl * ttls);
    child.kill('SIGCONT');
  });
}

export const nemeses: Record<string, Nemesis> = {
  none: () => Promise.resolve(0),
  'kill minority, AOF restart': (b) =>
    repeat(b, () => between(300, 900), async () => {
      const victims = pick(b.servers, 1 + Math.floor(Math.random() * 2));
      await Promise.all(victims.map((s) => s.kill()));
      await sleep(between(0, 300));
      await Promise.all(victims.map((s) => s.restart()));
    }),
  'majority down': (b) =>
    repeat(b, () => between(800, 1200), async () => {
      const victims = pick(b.servers, 3);
      await Promise.all(victims.map((s) => s.kill()));
      await sleep(b.ttl);
      await Promise.all(victims.map((s) => s.restart()));
    }),
  'latency 50..400 ms on 2 nodes': async (b) => {
    b.proxies[0]?.latency(50, 350);
    b.proxies[1]?.latency(50, 350);
    await sleep(Math.max(0, b.until - monotonicMs()));
    return 2;
  },
  'flapping partition of a minority': (b) =>
    repeat(b, () => between(200, 600), () => {
      for (const p of b.proxies) p.heal();
      for (const p of pick(b.proxies, 1 + Math.floor(Math.random() * 2))) p.blackhole();
      return Promise.resolve();
    }),
  'connection resets': (b) =>
    repeat(b, () => between(100, 400), () => {
      pick(b.proxies, 2).forEach((p) => p.reset());
      return Promise.resolve();
    }),
  'SCRIPT FLUSH': (b) => repeat(b, () => 250, () => Promise.all(b.admin.map((a) => a.script('FLUSH').catch(() => undefined)))),
  'SIGSTOP a node': (b) =>
    repeat(b, () => between(200, 500), async () => {
      const [victim] = pick(b.servers, 1);
      victim?.pause();
      await sleep(between(100, 400));
      victim?.resume();
    }),
  'holder partitioned from the majority': (b) =>
    repeat(b, () => between(300, 600), async () => {
      const proc = await aHolder(b);
      if (proc === undefined) return;
      // Cut off for longer than a ttl: its renewals fail, and its signal must abort by validity end.
      b.contenders.children[proc]?.send({ partition: Math.round(b.ttl * 1.5) });
      await sleep(b.ttl * 1.5);
    }),
  'holder process paused past its ttl (SIGSTOP)': (b) => pauseHolder(b, 1.5, () => between(200, 500)),
  'forward clock jump on one node (libfaketime)': (b) => {
    const jump = jumper(Math.ceil((b.ttl * 2) / 1000));
    return repeat(b, () => between(200, 500), () => {
      const [victim] = pick(b.servers, 1);
      if (victim !== undefined) jump(victim);
      return Promise.resolve();
    });
  },
  'UNSAFE: forward clock jump on a majority (libfaketime)': (b) => {
    const jump = jumper(Math.ceil((b.ttl * 2) / 1000));
    return repeat(b, () => 50, async () => {
      await whileHeld(b);
      for (const server of b.servers.slice(0, 3)) jump(server);
    });
  },
  'UNSAFE: majority restarts empty, no delay': (b) =>
    repeat(b, () => 50, async () => {
      await whileHeld(b);
      const victims = b.servers.slice(0, 3);
      await Promise.all(victims.map((s) => s.restart()));
    }),
  'majority restarts empty, delayed past the ttl': (b) =>
    // Longer pauses between faults: a majority down for a ttl is a liveness cost, and locks should still be granted between.
    repeat(b, () => 800, async () => {
      await whileHeld(b);
      await Promise.all(b.servers.slice(0, 3).map((s) => s.restart({ delay: b.ttl + 200 })));
    }),
  'UNSAFE: forward clock jump on a majority (rogue expiry)': (b) =>
    repeat(b, () => 50, async () => {
      await whileHeld(b);
      await Promise.all(b.admin.slice(0, 3).map((a) => a.pexpire(b.lockKey, 1).catch(() => 0)));
    }),
};

/**
 * The handoff rows: several callers per process, unfenced, half of them renewing, so that locks
 * are passed on and transferred inside processes, under the faults that matter to them.
 */
const HANDOFF_FAULTS: Record<string, Nemesis | undefined> = {
  'kill minority, AOF restart': nemeses['kill minority, AOF restart'],
  'SIGSTOP a node': nemeses['SIGSTOP a node'],
  'SCRIPT FLUSH': nemeses['SCRIPT FLUSH'],
  'connection resets': nemeses['connection resets'],
  // Holders renew meanwhile: a renewing lock left on a bare quorum must not be declared lost.
  // Nodes without persistence must stay down for a ttl before they come back empty (Redlock's
  // rule): that is the safe row; the UNSAFE row below breaks the rule.
  'minority restarts empty past the ttl while holders renew': (b) =>
    repeat(b, () => between(200, 500), async () => {
      await whileHeld(b);
      await Promise.all(pick(b.servers, 2).map((s) => s.restart({ delay: b.ttl + 200 })));
    }),
};
/**
 * A minority restarted empty at once: a holder that won on a bare quorum (3 of 5) can lose two of
 * its nodes, and a contender then wins on those two plus the two it never had. Renewal's
 * re-creation (setNXOnExtend) cannot close that window. The control shows why the delay is needed.
 */
nemeses['UNSAFE: handoffs: minority restarts empty, no delay'] = (b) =>
  repeat(b, () => 50, async () => {
    await whileHeld(b);
    await Promise.all(pick(b.servers, 2).map((s) => s.restart()));
  });
for (const [fault, nemesis] of Object.entries(HANDOFF_FAULTS)) if (nemesis !== undefined) nemeses[`handoffs: ${fault}`] = nemesis;
nemeses['handoffs: an outside owner knows the value'] = () => Promise.resolve(0);
nemeses['UNSAFE: handoffs: passed on under a value an outside owner knows'] = () => Promise.resolve(0);

/**
 * A process whose loader runs is stopped for 2 ttls: its fill lock (half a ttl) expires, another
 * process takes over and writes a newer entry well before it resumes, even on a loaded machine,
 * and that entry is still fresh (the rows' entries live 2.5 ttls) when the late write comes.
 */
function pauseFiller(b: Bench): Promise<number> {
  return pauseHolder(b, 2, () => between(50, 150));
}


/**
 * The cache rows: several processes filling a few hot keys (ttl 200 ms) through `rs.cache`, under
 * the faults that matter to a fill. The pause targets a process whose loader is running.
 */
const CACHE_FAULTS: Record<string, Nemesis | undefined> = {
  none: nemeses['none'],
  'filler paused past its lease (SIGSTOP)': pauseFiller,
  'kill minority, AOF restart': nemeses['kill minority, AOF restart'],
  'SCRIPT FLUSH': nemeses['SCRIPT FLUSH'],
  'connection resets': nemeses['connection resets'],
};
for (const [fault, nemesis] of Object.entries(CACHE_FAULTS)) if (nemesis !== undefined) nemeses[`cache: ${fault}`] = nemesis;
nemeses['UNSAFE: cache: filler paused past its lease, unfenced write'] = pauseFiller;

/**
 * The semaphore rows: permits of one semaphore (limit 3, mode 'quorum' on the 5 nodes) taken over
 * and over under the node faults; the control is the unsafe quorum (per-node limit = limit).
 */
const SEMAPHORE_FAULTS: Record<string, Nemesis | undefined> = {
  none: nemeses['none'],
  'kill minority, AOF restart': nemeses['kill minority, AOF restart'],
  'SIGSTOP a node': nemeses['SIGSTOP a node'],
  'latency 50..400 ms on 2 nodes': nemeses['latency 50..400 ms on 2 nodes'],
  'flapping partition of a minority': nemeses['flapping partition of a minority'],
  'SCRIPT FLUSH': nemeses['SCRIPT FLUSH'],
  'connection resets': nemeses['connection resets'],
};
for (const [fault, nemesis] of Object.entries(SEMAPHORE_FAULTS)) if (nemesis !== undefined) nemeses[`semaphore: ${fault}`] = nemesis;
nemeses['UNSAFE: semaphore: quorum with the per-node limit = limit'] = nemeses['none'] as Nemesis;

for (const [fault, nemesis] of Object.entries(SEMAPHORE_FAULTS)) if (nemesis !== undefined) nemeses[`read-write: ${fault}`] = nemesis;
nemeses['UNSAFE: read-write: readers skip the writer'] = nemeses['none'] as Nemesis;

/**
 * The multi-lock rows (random pairs of 3 names, in random order) and the fair lock rows, under the
 * same faults; their controls give each process one node of its own, so that no majority is shared.
 */
for (const family of ['multi-lock', 'fair lock']) {
  for (const [fault, nemesis] of Object.entries(SEMAPHORE_FAULTS)) if (nemesis !== undefined) nemeses[`${family}: ${fault}`] = nemesis;
  nemeses[`UNSAFE: ${family}: one node per process, no majority`] = nemeses['none'] as Nemesis;
}

/** The topology rows (topology.ts): a lagging replica, then its master killed, again and again. */
for (const scenario of Object.keys(TOPOLOGY_ROWS)) {
  // A second or two of calm between faults: the safe rows grant nothing while the replica lags.
  nemeses[scenario] = (b) => repeat(b, () => between(1000, 2000), () => b.deployment?.lagThenKill(b.lockKey, b.ttl) ?? Promise.resolve(false));
}
