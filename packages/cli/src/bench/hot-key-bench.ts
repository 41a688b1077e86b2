/**
 * The hot-key rows: 20 contenders on one key, in one process and in 4 processes x 5, for every
 * library. Rounds alternate the library order; records from all rounds are pooled per library.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { median, percentile } from '../percentile.js';
import { burst, handoffGaps, loop, monotonicMs, overlaps, type Hold, type HoldMs, type HotKeyRecords } from './hot-key.js';
import { HOT_KEY_SPECS, openLibrary, specName, type LibrarySpec } from './hot-key-libraries.js';

export interface HotKeyResult {
  readonly library: string;
  readonly processes: number;
  readonly gapMean: number;
  readonly gapP99: number;
  readonly drainMedian: number;
  readonly burstFailures: number;
  readonly changesPerSecond: number;
  readonly waitP99: number;
  readonly loopFailures: number;
  readonly overlaps: number;
  readonly acquisitions: number;
  /** Each process's share of the loop's acquisitions. */
  readonly shares: number[];
  /** Jain's fairness index of the shares: 1 when equal, 1/n when one process has them all. */
  readonly jain: number;
}

/** Each process's share of `holds` (owners are "process.contender"), for `processes` processes. */
export function sharesOf(holds: readonly Hold[], processes: number): number[] {
  const counts = Array.from({ length: processes }, () => 0);
  for (const h of holds) {
    const proc = Number(h.owner.split('.')[0]);
    counts[proc] = (counts[proc] ?? 0) + 1;
  }
  return counts.map((c) => c / Math.max(1, holds.length));
}

/** Jain's fairness index: (sum x)^2 / (n * sum x^2). */
export function jainIndex(xs: readonly number[]): number {
  const sum = xs.reduce((a, b) => a + b, 0);
  const squares = xs.reduce((a, b) => a + b * b, 0);
  return squares === 0 ? Number.NaN : (sum * sum) / (xs.length * squares);
}

export interface HotKeyOptions {
  readonly socket: string;
  readonly rounds: number;
  readonly bursts: number;
  readonly loopMs: number;
  readonly contenders: number;
  /** The libraries to run; all of them by default. */
  readonly specs?: readonly LibrarySpec[];
}

/** The contenders of one run: in this process, or spread over child processes. */
export interface Team {
  burst(): Promise<HotKeyRecords>;
  loop(until: number): Promise<HotKeyRecords>;
  close(): Promise<void>;
}

const CHILD = fileURLToPath(new URL('./hot-key-child.js', import.meta.url));
/** A command a child does not answer within this is a hung library: the run fails rather than hangs. */
const COMMAND_LIMIT_MS = 120_000;

async function localTeam(spec: LibrarySpec, socket: string, key: string, contenders: number): Promise<Team> {
  const client = new Redis({ path: socket });
  const lib = await openLibrary(spec, [client]);
  return {
    burst: () => burst(lib, key, contenders, 0),
    loop: (until) => loop(lib, key, contenders, 0, until),
    async close() {
      await lib.close();
      client.disconnect();
    },
  };
}

function ask(child: ChildProcess, command: unknown): Promise<HotKeyRecords> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('a hot-key child did not answer')), COMMAND_LIMIT_MS);
    child.once('message', (message: { records: HotKeyRecords }) => {
      clearTimeout(timer);
      resolve(message.records);
    });
    child.send(command as object);
  });
}

/** `processes` child processes of `contenders` each, on the nodes of `sockets`. */
export async function processTeam(spec: LibrarySpec, sockets: readonly string[], key: string, processes: number, contenders: number, holdMs?: HoldMs): Promise<Team> {
  const children = await Promise.all(
    Array.from({ length: processes }, (_, proc) => {
      const child = fork(CHILD, [JSON.stringify({ sockets, spec, key, contenders, proc, holdMs })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      return new Promise<ChildProcess>((resolve, reject) => {
        child.once('message', () => resolve(child));
        child.once('error', reject);
      });
    }),
  );
  const all = async (command: unknown): Promise<HotKeyRecords> => {
    const parts = await Promise.all(children.map((child) => ask(child, command)));
    return { holds: parts.flatMap((p) => p.holds), failures: parts.reduce((sum, p) => sum + p.failures, 0) };
  };
  return {
    burst: () => all({ run: 'burst' }),
    loop: (until) => all({ run: 'loop', until }),
    async close() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              child.once('exit', () => resolve());
              child.send({ run: 'close' });
              setTimeout(() => child.kill('SIGKILL'), 5000).unref();
            }),
        ),
      );
    },
  };
}

interface Pool {
  gaps: number[];
  drains: number[];
  burstFailures: number;
  waits: number[];
  loopHolds: Hold[];
  changes: number[];
  loopFailures: number;
  overlaps: number;
  acquisitions: number;
}

function ownerChanges(holds: readonly Hold[]): number {
  const sorted = [...holds].sort((a, b) => a.acquired - b.acquired);
  return sorted.filter((hold, i) => i > 0 && hold.owner !== (sorted[i - 1] as Hold).owner).length;
}

export async function hotKeyRows(options: HotKeyOptions, processes: number, log: (line: string) => void): Promise<HotKeyResult[]> {
  const specs = options.specs ?? HOT_KEY_SPECS;
  const pools = new Map<LibrarySpec, Pool>(specs.map((spec) => [spec, { gaps: [], drains: [], burstFailures: 0, waits: [], loopHolds: [], changes: [], loopFailures: 0, overlaps: 0, acquisitions: 0 }]));
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? specs : [...specs].reverse();
    for (const spec of order) {
      const pool = pools.get(spec) as Pool;
      const key = `bench:hot:${String(processes)}:${String(round)}:${specName(spec)}`;
      const team = processes === 1 ? await localTeam(spec, options.socket, key, options.contenders) : await processTeam(spec, [options.socket], key, processes, options.contenders / processes);
      try {
        // Warm-up bursts, not recorded: connections, subscriptions and the JIT settle first.
        for (let b = 0; b < 2; b++) await team.burst();
        for (let b = 0; b < options.bursts; b++) {
          const r = await team.burst();
          pool.gaps.push(...handoffGaps(r.holds));
          if (r.holds.length > 0) pool.drains.push(Math.max(...r.holds.map((h) => h.released)) - Math.min(...r.holds.map((h) => h.asked)));
          pool.burstFailures += r.failures;
          pool.overlaps += overlaps(r.holds);
          pool.acquisitions += r.holds.length;
        }
        const r = await team.loop(monotonicMs() + options.loopMs);
        pool.waits.push(...r.holds.map((h) => h.acquired - h.asked));
        pool.loopHolds.push(...r.holds);
        pool.changes.push(ownerChanges(r.holds) / (options.loopMs / 1000));
        pool.loopFailures += r.failures;
        pool.overlaps += overlaps(r.holds);
        pool.acquisitions += r.holds.length;
      } finally {
        await team.close();
      }
    }
    log(`hot key, ${String(processes)} process(es): round ${String(round + 1)} of ${String(options.rounds)} done`);
  }
  return specs.map((spec) => {
    const pool = pools.get(spec) as Pool;
    return {
      library: specName(spec),
      processes,
      gapMean: pool.gaps.reduce((a, b) => a + b, 0) / Math.max(1, pool.gaps.length),
      gapP99: percentile(pool.gaps, 99),
      drainMedian: median(pool.drains),
      burstFailures: pool.burstFailures,
      changesPerSecond: median(pool.changes),
      waitP99: percentile(pool.waits, 99),
      loopFailures: pool.loopFailures,
      overlaps: pool.overlaps,
      acquisitions: pool.acquisitions,
      shares: sharesOf(pool.loopHolds, processes),
      jain: jainIndex(sharesOf(pool.loopHolds, processes)),
    };
  });
}
