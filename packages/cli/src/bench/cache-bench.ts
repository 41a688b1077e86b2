/**
 * The cache section of `npm run bench`: a cold burst across 4 processes (loader calls, time until
 * the last caller has the value), the hit path against a raw GET of the same bytes, and an expiry
 * under steady load (loader calls per expiry, callers' p99), for redsync-ts and the Node caches
 * a user would reach for, each on the same Redis. Ratios come from one run.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { median, percentile } from '../percentile.js';
import type { CacheChildJob, CacheChildReport } from './cache-child.js';
import { hitPath, type HitRow } from './cache-hit.js';
import { nextMessage } from './ipc.js';
import { CACHE_LIBRARIES, COLD_FLOOR, COLD_FLOOR_PROTOCOL, COLD_FLOOR_RTT, type CacheLibraryName } from './cache-libraries.js';

const CHILD = fileURLToPath(new URL('./cache-child.js', import.meta.url));
const PROCESSES = 4;

/** Medians over rounds; see burstRound. */
export interface ColdBurstRow {
  readonly library: string;
  readonly loaderCalls: number;
  /** From the first process's go to the last caller served. */
  readonly lastMs: number;
  /** The loader's own time as it ran. */
  readonly loaderMs: number;
  readonly coordinationMs: number;
  readonly startMs: number;
  readonly failed: number;
}
export interface SteadyRow { readonly library: string; readonly loaderCalls: number; readonly expiries: number; readonly p50: number; readonly p99: number; readonly failed: number }

export type { HitRow };

export interface CacheResults {
  readonly loaderMs: number;
  readonly coldBurst: readonly ColdBurstRow[];
  readonly hitPath: readonly HitRow[];
  readonly steady: { readonly rate: number; readonly durationMs: number; readonly ttlMs: number; readonly rows: readonly SteadyRow[] };
}

/**
 * Runs `PROCESSES` children on one job and collects their reports. Two barriers: all warm up at
 * once once each has opened its cache (a process that started late found the warm-up keys filled,
 * so its first fill and first wait, with their one-time work, fell in the measured burst), then
 * all hear `go` once each is warm.
 */
async function fleet(job: Omit<CacheChildJob, 'key'>): Promise<CacheChildReport[]> {
  const full: CacheChildJob = { ...job, key: `bench:cache:${randomUUID()}` };
  const children = Array.from({ length: PROCESSES }, () => fork(CHILD, [JSON.stringify(full)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const reports = children.map(
      (child) =>
        new Promise<CacheChildReport>((resolve, reject) => {
          let report: CacheChildReport | undefined;
          child.on('message', (message: CacheChildReport | { ready: 'open' | 'warm' }) => {
            if (!('ready' in message)) report = message;
          });
          child.once('exit', (code) => (report === undefined ? reject(new Error(`cache bench child exited with ${String(code)}`)) : resolve(report)));
        }),
    );
    const reported = Promise.all(reports);
    reported.catch(() => undefined); // a dead child fails the barrier below first
    for (const step of ['warm', 'go']) {
      await Promise.all(children.map((child) => nextMessage(child)));
      for (const child of children) child.send(step);
    }
    return await reported;
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

/**
 * One round of the cold burst, from its processes' reports. `coordinationMs` is what a process's
 * callers waited beyond the loader that served them (go to last caller, less that loader's own
 * time, which under this load overshoots its nominal 50 ms by a few ms either way): the worst
 * process counts. `startMs` is how long a process took from go to its loader's start.
 */
function burstRound(reports: readonly CacheChildReport[]): Omit<ColdBurstRow, 'library' | 'failed'> {
  const duration = (r: CacheChildReport): number => r.loaderEndAt - r.loaderStartAt;
  const loaders = reports.filter((r) => r.calls > 0);
  const shared = loaders.length === 1 ? duration(loaders[0] as CacheChildReport) : median(loaders.map(duration));
  const coordination = reports.map((r) => r.lastAt - r.goAt - (r.calls > 0 ? duration(r) : shared));
  return {
    loaderCalls: reports.reduce((sum, r) => sum + r.calls, 0),
    lastMs: Math.max(...reports.map((r) => r.lastAt)) - Math.min(...reports.map((r) => r.goAt)),
    loaderMs: shared,
    coordinationMs: Math.max(...coordination),
    startMs: median(loaders.map((r) => r.loaderStartAt - r.goAt)),
  };
}

/** `rounds` cold bursts per library, the libraries taking turns in a rotating order. */
async function coldBursts(socket: string, libraries: readonly CacheLibraryName[], loaderMs: number, rounds: number): Promise<ColdBurstRow[]> {
  const perLibrary = libraries.map(() => [] as Omit<ColdBurstRow, 'library' | 'failed'>[]);
  const failed = libraries.map(() => 0);
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < libraries.length; k++) {
      const i = (round + k) % libraries.length;
      const reports = await fleet({ library: libraries[i] as CacheLibraryName, socket, mode: 'burst', loaderMs, ttlMs: 60_000, gets: 250, rate: 0, durationMs: 0 });
      perLibrary[i]?.push(burstRound(reports));
      failed[i] = (failed[i] ?? 0) + reports.reduce((sum, r) => sum + r.failed, 0);
    }
  }
  return libraries.map((library, i) => {
    const own = perLibrary[i] ?? [];
    const mid = (pick: (r: Omit<ColdBurstRow, 'library' | 'failed'>) => number): number => median(own.map(pick));
    return { library, loaderCalls: mid((r) => r.loaderCalls), lastMs: mid((r) => r.lastMs), loaderMs: mid((r) => r.loaderMs), coordinationMs: mid((r) => r.coordinationMs), startMs: mid((r) => r.startMs), failed: failed[i] ?? 0 };
  });
}

async function steady(socket: string, library: CacheLibraryName, loaderMs: number, rate: number, durationMs: number, ttlMs: number): Promise<SteadyRow> {
  const reports = await fleet({ library, socket, mode: 'steady', loaderMs, ttlMs, gets: 0, rate: rate / PROCESSES, durationMs });
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
  // At least 9 bursts and 15 hit rounds per library, whatever the bench's rounds: medians of 2
  // or 3 flipped the targets between runs, and of 5 bursts still moved by 2-3 ms between runs
  // (one burst's coordination ranges over 4-14 ms on 2 cores).
  const coldRows = await coldBursts(socket, [COLD_FLOOR, COLD_FLOOR_RTT, COLD_FLOOR_PROTOCOL, ...CACHE_LIBRARIES], loaderMs, Math.max(9, options.rounds));
  options.log('cache: cold burst done');
  const hitRows = await hitPath(socket, Math.max(15, options.rounds), 2000);
  options.log('cache: hit path done');
  const steadyRows: SteadyRow[] = [];
  const plan = { rate: 200, durationMs: 10_000, ttlMs: 2000 };
  for (const library of CACHE_LIBRARIES) steadyRows.push(await steady(socket, library, loaderMs, plan.rate, plan.durationMs, plan.ttlMs));
  options.log('cache: steady load done');
  return { loaderMs, coldBurst: coldRows, hitPath: hitRows, steady: { ...plan, rows: steadyRows } };
}

/** The section's tables, in markdown. */
export function cacheMarkdown(results: CacheResults): string {
  const lines = [
    `### Cache: cold burst, ${String(PROCESSES)} processes x 250 concurrent gets of one key, loader ${String(results.loaderMs)} ms`,
    '',
    'Medians over rounds, the libraries taking turns. *Coordination*: how long the worst process\'s callers waited beyond the loader that served them (its own time as it ran). *Start*: from go to the loader\'s start.',
    '',
    '| library | loader calls | last caller served after (ms) | loader as it ran (ms) | coordination (ms) | start (ms) | failed |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of results.coldBurst) lines.push(`| ${r.library} | ${String(r.loaderCalls)} | ${r.lastMs.toFixed(1)} | ${r.loaderMs.toFixed(1)} | ${r.coordinationMs.toFixed(2)} | ${r.startMs.toFixed(2)} | ${String(r.failed)} |`);
  lines.push('', '### Cache: hit path, sequential gets of a warm 200-byte value (Redis only, no in-memory tier)', '', 'Each library in a process of its own beside a raw GET of the same bytes; the processes take turns. The ratio is the median over rounds of the library\'s p50 over its own process\'s raw GET.', '', '| library | p50 ms | p99 ms | p50 / raw GET |', '|---|---|---|---|');
  for (const r of results.hitPath) lines.push(`| ${r.library} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${r.ratio.toFixed(2)}x |`);
  const s = results.steady;
  lines.push('', `### Cache: expiries under steady load, ${String(s.rate)} gets/s over ${String(s.durationMs / 1000)} s across ${String(PROCESSES)} processes, ttl ${String(s.ttlMs / 1000)} s, defaults`, '', '| library | loader calls (cold fill + expiries) | expiries | calls per expiry | p50 ms | p99 ms | failed |', '|---|---|---|---|---|---|---|');
  for (const r of s.rows) lines.push(`| ${r.library} | ${String(r.loaderCalls)} | ${String(r.expiries)} | ${((r.loaderCalls - 1) / r.expiries).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${String(r.failed)} |`);
  return lines.join('\n');
}
