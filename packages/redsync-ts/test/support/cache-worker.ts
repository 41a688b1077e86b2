/**
 * A cache user in its own process, for the cross-process cache tests. argv[2] is a JSON job:
 * the servers, the key, how many concurrent gets to make on "go" (a line on stdin), how long the
 * loader takes and what it returns. It prints JSON lines: `ready`, `loading` (when its loader
 * starts), and `done` with its loader calls, the values its callers got and its cache stats.
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { Redsync, fromIoredis } from '../../src/index.js';

interface Job {
  sockets: string[];
  key: string;
  gets: number;
  loaderMs: number;
  value: string;
  ttl: number;
  lockTtl: number;
  /** The loader ignores its signal (a filler unaware of its pause or lost lock). */
  deaf?: boolean;
}

const job = JSON.parse(process.argv[2] ?? '{}') as Job;
const clients = job.sockets.map((path) => new Redis({ path }));
const rs = new Redsync(clients.map((c) => fromIoredis(c)));
const cache = rs.cache<string>({ ttl: job.ttl, lock: { ttl: job.lockTtl } });
let calls = 0;
const say = (event: object): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

const loader = (signal: AbortSignal): Promise<string> =>
  new Promise((resolve, reject) => {
    calls += 1;
    say({ event: 'loading' });
    const timer = setTimeout(() => resolve(job.value), job.loaderMs);
    if (job.deaf === true) return;
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
  });

say({ event: 'ready' });
for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'go') continue;
  const results = await Promise.allSettled(Array.from({ length: job.gets }, () => cache.get(job.key, loader)));
  const values = results.map((r) => (r.status === 'fulfilled' ? r.value : `error: ${String(r.reason)}`));
  say({ event: 'done', calls, values: [...new Set(values)], served: values.filter((v) => v === job.value).length, stats: cache.stats() });
  break;
}
await rs.close();
for (const c of clients) c.disconnect();
