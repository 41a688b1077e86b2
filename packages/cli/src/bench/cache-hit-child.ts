/**
 * One library's process for the cache bench's hit path. argv[2] is the job (JSON). It opens the
 * library and a raw client of its own, warms the key, says `ready`, and then runs one round per
 * `round` message: sequential gets, in batches of 10 that alternate between the library and a raw
 * GET of the same bytes, reported as percentiles. Each library runs alone in its process (as in a
 * service), and the parent has one process measure at a time.
 */
import { Redis } from 'ioredis';
import { percentile } from '../percentile.js';
import { openCache, type CacheLibraryName } from './cache-libraries.js';

export interface CacheHitJob {
  readonly library: CacheLibraryName;
  readonly socket: string;
  readonly key: string;
  /** A key holding redsync-ts's stored bytes for `key`: the floor reads the same bytes. */
  readonly floorKey: string;
  /** Gets per round, per side. */
  readonly gets: number;
}

/** One round's percentiles, in ms. */
export interface CacheHitRound {
  readonly p50: number;
  readonly p99: number;
  readonly floorP50: number;
  readonly floorP99: number;
}

const job = JSON.parse(process.argv[2] ?? '{}') as CacheHitJob;
const VALUE = 'x'.repeat(200);

async function main(): Promise<void> {
  const raw = new Redis({ path: job.socket });
  const cache = await openCache(job.library, job.socket, 600_000);
  const loader = (): Promise<string> => Promise.resolve(VALUE);
  await cache.get(job.key, loader);
  const sides: (() => Promise<unknown>)[] = [() => raw.get(job.floorKey), () => cache.get(job.key, loader)];
  let round = 0;
  const run = async (): Promise<CacheHitRound> => {
    const latencies: number[][] = [[], []];
    for (let batch = 0; batch < job.gets / 10; batch++) {
      // Which side goes first alternates: neither always follows the other.
      for (const i of (batch + round) % 2 === 0 ? [0, 1] : [1, 0]) {
        const get = sides[i] as () => Promise<unknown>;
        for (let j = 0; j < 10; j++) {
          const at = performance.now();
          await get();
          latencies[i]?.push(performance.now() - at);
        }
      }
    }
    round += 1;
    const [floor = [], lib = []] = latencies;
    return { p50: percentile(lib, 50), p99: percentile(lib, 99), floorP50: percentile(floor, 50), floorP99: percentile(floor, 99) };
  };
  process.on('message', (message: string) => {
    if (message === 'round') void run().then((result) => process.send?.(result));
    else void cache.close().then(() => (raw.disconnect(), process.exit(0)));
  });
  process.send?.({ ready: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
