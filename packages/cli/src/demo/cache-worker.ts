/**
 * One worker of the demo's cache scene: on "go" it makes its share of concurrent requests for one
 * cold key, backed by a slow "database" (50 ms per query, each query counted in Redis so the
 * parent can add them up across processes), with or without `rs.cache`; then the same number of
 * requests again, now warm. It reports what its callers got and its cache's counters.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Redsync, fromIoredis, type CacheStats } from 'redsync-ts';
import { connectAll } from '../connect.js';

export interface CacheTask {
  readonly mode: 'unprotected' | 'rs.cache';
  readonly lockUrls: readonly string[];
  readonly dbUrl: string;
  readonly key: string;
  readonly queriesKey: string;
  readonly requests: number;
  readonly dbLatencyMs: number;
}

export interface CacheReport {
  readonly served: number;
  /** ms from "go" until this worker's last caller of the cold burst had the value. */
  readonly coldMs: number;
  readonly stats: CacheStats | undefined;
}

const task = JSON.parse(process.argv[2] ?? '{}') as CacheTask;

async function main(): Promise<CacheReport> {
  const [db, ...lockClients] = await connectAll([task.dbUrl, ...task.lockUrls]);
  if (db === undefined) throw new Error('no database server');
  const loadProduct = async (): Promise<{ name: string; price: number }> => {
    await db.incr(task.queriesKey);
    await sleep(task.dbLatencyMs);
    return { name: 'the last item', price: 42 };
  };
  const rs = new Redsync(lockClients.map((c) => fromIoredis(c)));
  const cache = rs.cache<{ name: string; price: number }>({ ttl: 60_000 });
  const store = lockClients[0];
  if (store === undefined) throw new Error('no cache store');
  // The recipe without coordination: every miss queries, then writes.
  const unprotected = async (): Promise<{ name: string; price: number }> => {
    const hit = await store.get(task.key);
    if (hit !== null) return JSON.parse(hit) as { name: string; price: number };
    const value = await loadProduct();
    await store.set(task.key, JSON.stringify(value), 'PX', 60_000);
    return value;
  };
  const request = (): Promise<unknown> => (task.mode === 'rs.cache' ? cache.get(task.key, loadProduct) : unprotected());
  process.send?.({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const started = performance.now();
  const cold = await Promise.all(Array.from({ length: task.requests }, request));
  const coldMs = performance.now() - started;
  const warm = await Promise.all(Array.from({ length: task.requests }, request));
  const served = [...cold, ...warm].filter((v) => v !== undefined).length;
  const stats = task.mode === 'rs.cache' ? cache.stats() : undefined;
  await rs.close();
  db.disconnect();
  for (const c of lockClients) c.disconnect();
  return { served, coldMs, stats };
}

main().then(
  (report) => process.send?.(report, () => process.exit(0)),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
