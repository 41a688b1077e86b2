/**
 * The semaphore section of `npm run bench` (issue 15): acquire+release of a permit uncontended,
 * and 20 contenders sharing a limit of 5, for `rs.semaphore`, redis-semaphore's Semaphore (as a
 * user would set it up) and a hand-written floor, on one Redis. Ratios come from one run.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { Semaphore as PeerSemaphore } from 'redis-semaphore';
import { Redsync, fromIoredis } from 'redsync-ts';
import { median, percentile } from '../percentile.js';
import { commandTotals } from './hot-key-cost.js';

/** Takes a permit of `key` (limit `limit`); resolves with its release. */
type Take = (key: string, limit: number) => Promise<() => Promise<unknown>>;

interface SemaphoreLibrary {
  readonly name: string;
  readonly take: Take;
  close(): Promise<void>;
}

const TTL = 10_000;
/**
 * The floor: the least a lease semaphore costs with the same client, one EVALSHA to take (purge
 * expired, count, add; scored on the server's clock) and a ZREM to give back. Waiting polls every
 * millisecond: a hand-written loop, as tight as a user would dare.
 */
const FLOOR_ACQUIRE = `local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
return 1`;

async function openLibrary(name: string, socket: string): Promise<SemaphoreLibrary> {
  const client = new Redis({ path: socket });
  const close = (): Promise<void> => {
    client.disconnect();
    return Promise.resolve();
  };
  if (name === 'floor') {
    const sha = String(await client.script('LOAD', FLOOR_ACQUIRE));
    const prefix = randomBytes(8).toString('hex');
    let counter = 0;
    const take: Take = async (key, limit) => {
      const id = `${prefix}${String(++counter)}`;
      while ((await client.evalsha(sha, 1, key, id, String(limit), String(TTL))) !== 1) await sleep(1);
      return () => client.zrem(key, id);
    };
    return { name, take, close };
  }
  if (name === 'redsync-ts') {
    const rs = new Redsync([fromIoredis(client)]);
    const take: Take = async (key, limit) => {
      const permit = await rs.semaphore(key, { limit, ttl: TTL }).acquire();
      return () => permit.release();
    };
    return { name, take, close: async () => (await rs.close(), close()) };
  }
  // Its defaults: 10 ms between attempts; refreshing off, as for the other two.
  const take: Take = async (key, limit) => {
    const semaphore = new PeerSemaphore(client as never, key, limit, { lockTimeout: TTL, refreshInterval: 0, acquireTimeout: 600_000 });
    await semaphore.acquire();
    return () => semaphore.release();
  };
  return { name, take, close };
}

export const SEMAPHORE_LIBRARIES = ['floor', 'redsync-ts', 'redis-semaphore 5.8.0'] as const;

export interface UncontendedRow { readonly library: string; readonly p50: number; readonly p99: number; readonly ratio: number }
export interface ContendedRow { readonly library: string; readonly perSecond: number; readonly waitP99: number; readonly commandsPerAcquisition: number; readonly mostHeld: number }
export interface SemaphoreResults {
  readonly uncontended: readonly UncontendedRow[];
  readonly contended: { readonly contenders: number; readonly limit: number; readonly holdMs: number; readonly seconds: number; readonly rows: readonly ContendedRow[] };
}

/** Sequential acquire+release pairs, the libraries interleaved in batches of 10 (the machine drifts). */
async function uncontended(libs: readonly SemaphoreLibrary[], rounds: number, pairs: number): Promise<UncontendedRow[]> {
  const keys = libs.map((lib) => `bench:sem:${lib.name}:${randomUUID()}`);
  const samples = libs.map(() => [] as number[][]);
  for (let round = 0; round <= rounds; round++) {
    const latencies = libs.map(() => [] as number[]);
    for (let batch = 0; batch < pairs / 10; batch++) {
      for (let k = 0; k < libs.length; k++) {
        const i = (batch + k) % libs.length;
        const lib = libs[i] as SemaphoreLibrary;
        for (let j = 0; j < 10; j++) {
          const at = performance.now();
          const release = await lib.take(keys[i] as string, 5);
          await release();
          latencies[i]?.push(performance.now() - at);
        }
      }
    }
    if (round > 0) latencies.forEach((l, i) => samples[i]?.push(l)); // round 0 warms up
  }
  const p = (i: number, q: number): number => median((samples[i] ?? []).map((s) => percentile(s, q)));
  return libs.map((lib, i) => ({ library: lib.name, p50: p(i, 50), p99: p(i, 99), ratio: p(i, 50) / p(0, 50) }));
}

/** `contenders` loops sharing `limit` permits for `seconds`, each holding `holdMs`. */
async function contended(lib: SemaphoreLibrary, admin: Redis, options: SemaphoreResults['contended']): Promise<ContendedRow> {
  const key = `bench:sem-hot:${randomUUID()}`;
  const before = commandTotals(await admin.info('commandstats')).calls;
  const waits: number[] = [];
  let held = 0;
  let mostHeld = 0;
  const until = performance.now() + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.contenders }, async () => {
      while (performance.now() < until) {
        const at = performance.now();
        const release = await lib.take(key, options.limit);
        waits.push(performance.now() - at);
        mostHeld = Math.max(mostHeld, ++held);
        await sleep(options.holdMs);
        held -= 1;
        await release();
      }
    }),
  );
  const commands = commandTotals(await admin.info('commandstats')).calls - before - 2; // the two INFOs
  return { library: lib.name, perSecond: waits.length / options.seconds, waitP99: percentile(waits, 99), commandsPerAcquisition: commands / waits.length, mostHeld };
}

/** The whole section on the server at `socket`. */
export async function semaphoreBench(socket: string, options: { rounds: number; log: (line: string) => void }): Promise<SemaphoreResults> {
  const libs = await Promise.all(SEMAPHORE_LIBRARIES.map((name) => openLibrary(name, socket)));
  const admin = new Redis({ path: socket });
  try {
    const rows = await uncontended(libs, options.rounds, 1000);
    options.log('semaphore: uncontended done');
    const plan = { contenders: 20, limit: 5, holdMs: 1, seconds: 3 };
    const hot: ContendedRow[] = [];
    for (const lib of libs) hot.push(await contended(lib, admin, { ...plan, rows: [] }));
    options.log('semaphore: 20 contenders done');
    return { uncontended: rows, contended: { ...plan, rows: hot } };
  } finally {
    await Promise.all(libs.map((lib) => lib.close()));
    admin.disconnect();
  }
}

/** The section's tables, in markdown. */
export function semaphoreMarkdown(results: SemaphoreResults): string {
  const lines = ['### Semaphore: acquire + release of a permit, uncontended (limit 5, one node)', '', '| library | p50 ms | p99 ms | p50 / floor |', '|---|---|---|---|'];
  for (const r of results.uncontended) lines.push(`| ${r.library} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.ratio.toFixed(2)}x |`);
  const c = results.contended;
  lines.push('', `### Semaphore: ${String(c.contenders)} contenders, limit ${String(c.limit)}, holds of ${String(c.holdMs)} ms, ${String(c.seconds)} s (one process, one node)`, '', '| library | permits/s | wait p99 ms | commands per permit | most held at once |', '|---|---|---|---|---|');
  for (const r of c.rows) lines.push(`| ${r.library} | ${r.perSecond.toFixed(0)} | ${r.waitP99.toFixed(1)} | ${r.commandsPerAcquisition.toFixed(2)} | ${String(r.mostHeld)} |`);
  return lines.join('\n');
}
