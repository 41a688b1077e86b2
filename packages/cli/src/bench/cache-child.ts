/**
 * One process of the cache bench's fleet rows. argv[2] is the job (JSON). It opens its library,
 * says `ready` over IPC, and on `go` either fires a burst of concurrent gets of one cold key or
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

export interface CacheChildReport {
  readonly calls: number;
  /** burst: when the last caller had a value, as `performance.timeOrigin + performance.now()`. */
  readonly lastAt: number;
  /** steady: each get's latency in ms. */
  readonly latencies: readonly number[];
  readonly failed: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as CacheChildJob;
const VALUE = 'x'.repeat(200);

async function main(): Promise<CacheChildReport> {
  const cache = await openCache(job.library, job.socket, job.ttlMs);
  let calls = 0;
  const loader = async (): Promise<string> => {
    calls += 1;
    await sleep(job.loaderMs);
    return VALUE;
  };
  // Warm up as a running service would be: connections, scripts, subscriptions, JIT.
  await Promise.all(Array.from({ length: job.gets || 50 }, () => cache.get(`${job.key}:warm-up`, loader).catch(() => undefined)));
  calls = 0;
  process.send?.({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
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
  const lastAt = performance.timeOrigin + performance.now();
  await cache.close();
  return { calls, lastAt, latencies: job.mode === 'steady' ? latencies : [], failed };
}

main().then(
  (report) => process.send?.(report, () => process.exit(0)),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
