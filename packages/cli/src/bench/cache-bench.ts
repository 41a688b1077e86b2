/**
 * The cache section of `npm run bench`: a cold burst across 4 processes (loader calls, time until
 * the last caller has the value), the hit path against a raw GET of the same bytes, and an expiry
 * under steady load (loader calls per expiry, callers' p99), for redsync-ts and the Node caches
 * a user would reach for, each on the same Redis. Ratios come from one run.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { median, percentile } from '../percentile.js';
import type { CacheChildJob, CacheChildReport } from './cache-child.js';
import { CACHE_LIBRARIES, COLD_FLOOR, COLD_FLOOR_RTT, openCache, type CacheLibraryName } from './cache-libraries.js';

const CHILD = fileURLToPath(new URL('./cache-child.js', import.meta.url));
const PROCESSES = 4;

export interface ColdBurstRow { readonly library: string; readonly loaderCalls: number; readonly lastMs: number; readonly failed: number }
export interface HitRow { readonly library: string; readonly p50: number; readonly p99: number; readonly ratio: number }
export interface SteadyRow { readonly library: string; readonly loaderCalls: number; readonly expiries: number; readonly p50: number; readonly p99: number; readonly failed: number }

export interface CacheResults {
  readonly loaderMs: number;
  readonly coldBurst: readonly ColdBurstRow[];
  readonly hitPath: readonly HitRow[];
  readonly steady: { readonly rate: number; readonly durationMs: number; readonly ttlMs: number; readonly rows: readonly SteadyRow[] };
}

/**
 * Runs `PROCESSES` children on one job and collects their reports, with the moment `go` was sent
 * (on the clock of the children's `lastAt`): one origin for the whole fleet, so that a child told
 * later does not look faster.
 */
async function fleet(job: Omit<CacheChildJob, 'key'>): Promise<{ reports: CacheChildReport[]; goAt: number }> {
  const full: CacheChildJob = { ...job, key: `bench:cache:${randomUUID()}` };
  const children = Array.from({ length: PROCESSES }, () => fork(CHILD, [JSON.stringify(full)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const reports = children.map(
      (child) =>
        new Promise<CacheChildReport>((resolve, reject) => {
          let report: CacheChildReport | undefined;
          child.on('message', (message: CacheChildReport | { ready: true }) => {
            if (!('ready' in message)) report = message;
          });
          child.once('exit', (code) => (report === undefined ? reject(new Error(`cache bench child exited with ${String(code)}`)) : resolve(report)));
        }),
    );
    await Promise.all(children.map((child) => new Promise((resolve) => child.once('message', resolve))));
    const goAt = performance.timeOrigin + performance.now();
    for (const child of children) child.send('go');
    return { reports: await Promise.all(reports), goAt };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

async function coldBurst(socket: string, library: CacheLibraryName, loaderMs: number, rounds: number): Promise<ColdBurstRow> {
  const calls: number[] = [];
  const last: number[] = [];
  let failed = 0;
  for (let round = 0; round < rounds; round++) {
    const { reports, goAt } = await fleet({ library, socket, mode: 'burst', loaderMs, ttlMs: 60_000, gets: 250, rate: 0, durationMs: 0 });
    calls.push(reports.reduce((sum, r) => sum + r.calls, 0));
    last.push(Math.max(...reports.map((r) => r.lastAt)) - goAt);
    failed += reports.reduce((sum, r) => sum + r.failed, 0);
  }
  return { library, loaderCalls: median(calls), lastMs: median(last), failed };
}

/** Sequential gets of a warm key per library, beside a raw GET of the same bytes, interleaved. */
async function hitPath(socket: string, rounds: number, gets: number): Promise<HitRow[]> {
  const raw = new Redis({ path: socket });
  const libs = await Promise.all(CACHE_LIBRARIES.map((name) => openCache(name, socket, 600_000)));
  const key = `bench:hit:${randomUUID()}`;
  const value = 'x'.repeat(200);
  await Promise.all(libs.map((lib) => lib.get(key, () => Promise.resolve(value))));
  // The floor reads the very bytes redsync-ts stored: the same size on the wire, no decoding.
  const floorKey = `bench:hit-floor:${randomUUID()}`;
  await raw.set(floorKey, (await raw.get(`cache:${key}`)) ?? value);
  const getters: (() => Promise<unknown>)[] = [() => raw.get(floorKey), ...libs.map((lib) => () => lib.get(key, () => Promise.resolve(value)))];
  const samples: number[][][] = getters.map(() => []);
  // Gets of every library interleave in batches of 10, in a rotating order: a machine whose speed
  // drifts during the run (it did, 38 -> 100 µs per GET within seconds) then moves them all alike.
  for (let round = 0; round <= rounds; round++) {
    const latencies: number[][] = getters.map(() => []);
    for (let batch = 0; batch < gets / 10; batch++) {
      for (let k = 0; k < getters.length; k++) {
        const i = (batch + k) % getters.length;
        const get = getters[i] as () => Promise<unknown>;
        for (let j = 0; j < 10; j++) {
          const at = performance.now();
          await get();
          latencies[i]?.push(performance.now() - at);
        }
      }
    }
    if (round > 0) latencies.forEach((l, i) => samples[i]?.push(l)); // round 0 warms up
  }
  await Promise.all(libs.map((lib) => lib.close()));
  raw.disconnect();
  const p = (i: number, q: number): number => median((samples[i] ?? []).map((s) => percentile(s, q)));
  const floor = p(0, 50);
  return [{ library: 'raw GET (floor)', p50: floor, p99: p(0, 99), ratio: 1 }, ...libs.map((lib, i) => ({ library: lib.name, p50: p(i + 1, 50), p99: p(i + 1, 99), ratio: p(i + 1, 50) / floor }))];
}

async function steady(socket: string, library: CacheLibraryName, loaderMs: number, rate: number, durationMs: number, ttlMs: number): Promise<SteadyRow> {
  const { reports } = await fleet({ library, socket, mode: 'steady', loaderMs, ttlMs, gets: 0, rate: rate / PROCESSES, durationMs });
  const latencies = reports.flatMap((r) => r.latencies);
  return {
    library,
    loaderCalls: reports.reduce((sum, r) => sum + r.calls, 0),
    expiries: Math.floor(durationMs / ttlMs),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    failed: reports.reduce((sum, r) => sum + r.failed, 0),
  };
}

/** The whole cache section on the server at `socket`. */
export async function cacheBench(socket: string, options: { rounds: number; log: (line: string) => void }): Promise<CacheResults> {
  const loaderMs = 50;
  const coldRows: ColdBurstRow[] = [];
  for (const library of [COLD_FLOOR, COLD_FLOOR_RTT, ...CACHE_LIBRARIES]) coldRows.push(await coldBurst(socket, library, loaderMs, options.rounds));
  options.log('cache: cold burst done');
  const hitRows = await hitPath(socket, options.rounds, 2000);
  options.log('cache: hit path done');
  const steadyRows: SteadyRow[] = [];
  const plan = { rate: 200, durationMs: 10_000, ttlMs: 2000 };
  for (const library of CACHE_LIBRARIES) steadyRows.push(await steady(socket, library, loaderMs, plan.rate, plan.durationMs, plan.ttlMs));
  options.log('cache: steady load done');
  return { loaderMs, coldBurst: coldRows, hitPath: hitRows, steady: { ...plan, rows: steadyRows } };
}

/** The section's tables, in markdown. */
export function cacheMarkdown(results: CacheResults): string {
  const lines = [`### Cache: cold burst, ${String(PROCESSES)} processes x 250 concurrent gets of one key, loader ${String(results.loaderMs)} ms`, '', '| library | loader calls | last caller served after (ms) | failed |', '|---|---|---|---|'];
  for (const r of results.coldBurst) lines.push(`| ${r.library} | ${String(r.loaderCalls)} | ${r.lastMs.toFixed(1)} | ${String(r.failed)} |`);
  lines.push('', '### Cache: hit path, sequential gets of a warm 200-byte value (Redis only, no in-memory tier)', '', '| library | p50 ms | p99 ms | p50 / raw GET |', '|---|---|---|---|');
  for (const r of results.hitPath) lines.push(`| ${r.library} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.ratio.toFixed(2)}x |`);
  const s = results.steady;
  lines.push('', `### Cache: expiries under steady load, ${String(s.rate)} gets/s over ${String(s.durationMs / 1000)} s across ${String(PROCESSES)} processes, ttl ${String(s.ttlMs / 1000)} s, defaults`, '', '| library | loader calls (cold fill + expiries) | expiries | calls per expiry | p50 ms | p99 ms | failed |', '|---|---|---|---|---|---|---|');
  for (const r of s.rows) lines.push(`| ${r.library} | ${String(r.loaderCalls)} | ${String(r.expiries)} | ${((r.loaderCalls - 1) / r.expiries).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${String(r.failed)} |`);
  return lines.join('\n');
}
