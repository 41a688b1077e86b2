/**
 * The cache bench's hit path: sequential gets of a warm 200-byte value, each library in a process
 * of its own beside a raw GET of the same bytes in that process. The processes take turns, one
 * round each in a rotating order, so that the machine's drift moves them all alike and no
 * library's background work (timers, a second connection) lands in another's figures: with every
 * library in one process, the same code measured 1.06x or 1.09x depending on which library's
 * batch it followed.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { median } from '../percentile.js';
import type { CacheHitJob, CacheHitRound } from './cache-hit-child.js';
import { nextMessage } from './ipc.js';
import { CACHE_LIBRARIES, openCache } from './cache-libraries.js';

const CHILD = fileURLToPath(new URL('./cache-hit-child.js', import.meta.url));

/** One library's hit path; `ratio` is the median over rounds of its p50 over its process's raw GET p50. */
export interface HitRow { readonly library: string; readonly p50: number; readonly p99: number; readonly ratio: number }

/** Stores the value once with redsync-ts and copies its bytes under a key of their own. */
async function seed(socket: string, key: string): Promise<string> {
  const cache = await openCache('redsync-ts', socket, 600_000);
  const raw = new Redis({ path: socket });
  try {
    await cache.get(key, () => Promise.resolve('x'.repeat(200)));
    const floorKey = `bench:hit-floor:${randomUUID()}`;
    const bytes = await raw.get(`cache:${key}`);
    if (bytes === null) throw new Error('redsync-ts stored nothing for the hit path');
    await raw.set(floorKey, bytes);
    return floorKey;
  } finally {
    await cache.close();
    raw.disconnect();
  }
}

/** `rounds` measured rounds (after one to warm up) of `gets` gets per side, per library. */
export async function hitPath(socket: string, rounds: number, gets: number): Promise<HitRow[]> {
  const key = `bench:hit:${randomUUID()}`;
  const floorKey = await seed(socket, key);
  const children = CACHE_LIBRARIES.map((library) => {
    const job: CacheHitJob = { library, socket, key, floorKey, gets };
    return fork(CHILD, [JSON.stringify(job)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  });
  try {
    await Promise.all(children.map((child) => nextMessage(child)));
    const results: CacheHitRound[][] = children.map(() => []);
    for (let round = 0; round <= rounds; round++) {
      for (let k = 0; k < children.length; k++) {
        const i = (round + k) % children.length;
        const child = children[i] as ChildProcess;
        const result = nextMessage<CacheHitRound>(child);
        child.send('round');
        if (round > 0) results[i]?.push(await result);
        else await result;
      }
    }
    await Promise.all(children.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.send('close')))));
    const floors = results.flat();
    const rows: HitRow[] = [{ library: 'raw GET (floor)', p50: median(floors.map((r) => r.floorP50)), p99: median(floors.map((r) => r.floorP99)), ratio: 1 }];
    CACHE_LIBRARIES.forEach((library, i) => {
      const own = results[i] ?? [];
      rows.push({ library, p50: median(own.map((r) => r.p50)), p99: median(own.map((r) => r.p99)), ratio: median(own.map((r) => r.p50 / r.floorP50)) });
    });
    return rows;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}
