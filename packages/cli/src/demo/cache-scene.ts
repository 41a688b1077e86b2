/**
 * The demo's cache scene: 4 worker processes make 1,000 concurrent requests for a cold key behind
 * a slow database, first with the hand-written get-or-query recipe (every miss queries), then with
 * `rs.cache` (one query for the fleet). Then the hit rate two ways: from the caches' own counters,
 * and from Redis INFO (keyspace_hits / (hits + misses)), which lock traffic moves too.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { connectAll } from '../connect.js';
import type { CacheReport, CacheTask } from './cache-worker.js';

const WORKER = fileURLToPath(new URL('./cache-worker.js', import.meta.url));
const WORKERS = 4;
const REQUESTS = 250;

interface SceneRow {
  readonly label: string;
  readonly queries: number;
  readonly coldMs: number;
  readonly served: number;
  readonly reports: readonly CacheReport[];
}

/** Runs both phases and prints them; `lockUrls[0]` is the cache store, `dbUrl` counts queries. */
export async function runCacheScene(lockUrls: readonly string[], dbUrl: string, out: (line: string) => void): Promise<void> {
  const [db, store] = await connectAll([dbUrl, lockUrls[0] ?? dbUrl]);
  if (db === undefined || store === undefined) throw new Error('no database or store connection');
  try {
    out('');
    out(`cache scene: ${WORKERS} worker processes x ${REQUESTS} concurrent requests for one cold key; the database takes 50 ms per query`);
    const rows = [await phase('no protection (get, query on miss, set)', 'unprotected', lockUrls, dbUrl, db, store), await phase('rs.cache', 'rs.cache', lockUrls, dbUrl, db, store)];
    for (const row of rows) out(`  ${row.label.padEnd(40)} ${String(row.queries).padStart(5)} database queries   ${String(row.served)} requests served   cold burst done in ${row.coldMs.toFixed(0)} ms`);
    printHitRates(rows[1], out);
  } finally {
    db.disconnect();
    store.disconnect();
  }
}

async function phase(label: string, mode: CacheTask['mode'], lockUrls: readonly string[], dbUrl: string, db: Redis, store: Redis): Promise<SceneRow & { info: { hits: number; misses: number } }> {
  const task: CacheTask = { mode, lockUrls, dbUrl, key: `redsync-demo:product:${randomUUID()}`, queriesKey: `redsync-demo:queries:${randomUUID()}`, requests: REQUESTS, dbLatencyMs: 50 };
  const children: ChildProcess[] = [];
  try {
    const ready: Promise<void>[] = [];
    const reports = Array.from({ length: WORKERS }, () => {
      const child = fork(WORKER, [JSON.stringify(task)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(child);
      let report: CacheReport | undefined;
      ready.push(new Promise((resolve) => child.once('message', () => resolve())));
      return new Promise<CacheReport>((resolve, reject) => {
        child.on('message', (message: CacheReport | { ready: true }) => {
          if (!('ready' in message)) report = message;
        });
        child.once('exit', (code) => (report === undefined ? reject(new Error(`cache worker exited with code ${String(code)}`)) : resolve(report)));
      });
    });
    await Promise.all(ready);
    const before = await keyspace(store);
    for (const child of children) child.send('go');
    const done = await Promise.all(reports);
    const after = await keyspace(store);
    return {
      label,
      queries: Number(await db.get(task.queriesKey)),
      coldMs: Math.max(...done.map((r) => r.coldMs)),
      served: done.reduce((sum, r) => sum + r.served, 0),
      reports: done,
      info: { hits: after.hits - before.hits, misses: after.misses - before.misses },
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await db.del(task.queriesKey).catch(() => undefined);
    await store.del(task.key, `cache:${task.key}`).catch(() => undefined);
  }
}

function printHitRates(row: (SceneRow & { info: { hits: number; misses: number } }) | undefined, out: (line: string) => void): void {
  if (row === undefined) return;
  const hits = row.reports.reduce((sum, r) => sum + (r.stats?.hits ?? 0), 0);
  const misses = row.reports.reduce((sum, r) => sum + (r.stats?.misses ?? 0), 0);
  const rate = (h: number, m: number): string => (h + m === 0 ? '-' : `${((100 * h) / (h + m)).toFixed(1)} %`);
  out(`  hit rate of rs.cache, from its own counters (stats()): ${rate(hits, misses)} (${String(hits)} hits, ${String(misses)} misses)`);
  out(`  hit rate from Redis INFO on the store, keyspace_hits / (hits + misses): ${rate(row.info.hits, row.info.misses)} (${String(row.info.hits)} / ${String(row.info.misses)})`);
  out('  they differ: the cache counts callers (250 concurrent gets in one process share one GET and count 250 times),');
  out('  INFO counts lookups on the server, the fill lock\'s attempts and releases and the fill scripts\' reads included,');
  out('  and every other user of that Redis (a lock-heavy app moves it far more). Read a cache\'s hit rate from its own counters.');
}

async function keyspace(client: Redis): Promise<{ hits: number; misses: number }> {
  const info = await client.info('stats');
  const field = (name: string): number => Number(/^(?:keyspace_)(\w+):(\d+)/m.exec(info.slice(info.indexOf(`keyspace_${name}:`)))?.[2] ?? 0);
  return { hits: field('hits'), misses: field('misses') };
}
