/**
 * One process of the cache bench's fleet rows. argv[2] is the job (JSON). It opens its library,
 * says so over IPC, warms up on `warm` (with the other processes), says so, and on `go` either fires a burst of concurrent gets of one cold key or
 * makes gets at a steady rate for a while; then it reports its loader calls and timings.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { openCache, type CacheLibraryName } from './cache-libraries.js';

export interface CacheChildJob {
  readonly library: CacheLibraryName;
  readonly socket: string;
  readonly key: string;
  readonly mode: 'burst' | 'steady';
  readonly loaderMs: number;
  readonly ttlMs: number;
  /** burst: concurrent gets. */
  readonly gets: number;
  /** steady: gets per second, and for how long. */
  readonly rate: number;
  readonly durationMs: number;
}

/**
 * Times are ms on the machine's monotonic clock (`process.hrtime`), which every process shares:
 * the parent compares one child's loader with another's callers. `performance.now()` would not
 * do: each process counts it from its own start.
 */
export interface CacheChildReport {
  readonly calls: number;
  /** When this process heard `go`. */
  readonly goAt: number;
  /** When its first loader call began and its last one ended (NaN when it called none). */
  readonly loaderStartAt: number;
  readonly loaderEndAt: number;
  /** burst: when the last caller had a value. */
  readonly lastAt: number;
  /** steady: each get's latency in ms. */
  readonly latencies: readonly number[];
  readonly failed: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as CacheChildJob;
const VALUE = 'x'.repeat(200);
const clock = (): number => Number(process.hrtime.bigint()) / 1e6;

async function main(): Promise<CacheChildReport> {
  const cache = await openCache(job.library, job.socket, job.ttlMs);
  let calls = 0;
  let loaderStartAt: number;
  let loaderEndAt: number;
  const loader = async (): Promise<string> => {
    calls += 1;
    if (calls === 1) loaderStartAt = clock();
    await sleep(job.loaderMs);
    loaderEndAt = clock();
    return VALUE;
  };
  const heard = (): Promise<void> => new Promise<void>((resolve) => process.once('message', () => resolve()));
  process.send?.({ ready: 'open' });
  await heard();
  // Warm up as a running service would be: connections, scripts, subscriptions, and compiled
  // code for both sides of a fill, taking the lock and waiting (fresh processes compiled the
  // waiting side during the measured burst: 10 ms of CPU each; one library's first lock attempt
  // also reads INFO). Rounds of bursts of 4 keys at once, which every process races for, until
  // this process has won one and lost one (3 rounds at least, 10 at most).
  let won = 0;
  let lost = 0;
  for (let round = 0; round < 10 && (round < 3 || won === 0 || lost === 0); round++) {
    const keys = Array.from({ length: 4 }, (_, i) => `${job.key}:warm-up:${String(round)}:${String(i)}`);
    const before = calls;
    await Promise.all(keys.flatMap((key) => Array.from({ length: Math.ceil((job.gets || 50) / 4) }, () => cache.get(key, loader).catch(() => undefined))));
    won += calls - before;
    lost += keys.length - (calls - before);
  }
  calls = 0;
  loaderStartAt = Number.NaN;
  loaderEndAt = Number.NaN;
  process.send?.({ ready: 'warm' });
  await heard();
  const goAt = clock();
  const started = performance.now();
  let failed = 0;
  const latencies: number[] = [];
  const timed = async (): Promise<void> => {
    const at = performance.now();
    try {
      await cache.get(job.key, loader);
      latencies.push(performance.now() - at);
    } catch {
      failed += 1;
    }
  };
  if (job.mode === 'burst') {
    await Promise.all(Array.from({ length: job.gets }, timed));
  } else {
    const inFlight: Promise<void>[] = [];
    for (let i = 0; performance.now() - started < job.durationMs; i++) {
      inFlight.push(timed());
      const next = started + ((i + 1) * 1000) / job.rate;
      await sleep(Math.max(0, next - performance.now()));
    }
    await Promise.all(inFlight);
  }
  const lastAt = clock();
  // Idle before closing and reporting: that work would take the CPU from processes whose callers
  // are still waking (4 processes on 2 cores) and land in their figures.
  await sleep(1000);
  await cache.close();
  return { calls, goAt, loaderStartAt, loaderEndAt, lastAt, latencies: job.mode === 'steady' ? latencies : [], failed };
}

main().then(
  (report) => process.send?.(report, () => process.exit(0)),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
