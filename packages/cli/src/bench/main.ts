/**
 * `npm run bench`: the project's performance record. The raw floor, redsync-ts and the peers
 * (redlock 5.0.0-beta.2, @sesamecare-oss/redlock, redis-semaphore, redlock-universal) in one run,
 * interleaved round by round, on temporary redis-servers over unix sockets: uncontended latency,
 * 200 concurrent workers, one hot key with 20 contenders in 1 and 4 processes, and the cache
 * section beside bentocache, cache-manager and async-cache-dedupe (cache-bench.ts), and the
 * semaphore section beside redis-semaphore's Semaphore (semaphore-bench.ts). Prints markdown
 * and writes bench-results/latest.json; `--write-docs` also writes docs/benchmarks.md and
 * docs/benchmark-handoff.svg. Exits 1 if redsync-ts (or a floor) ever had two holders at once.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { median, percentile } from '../percentile.js';
import { hotKeyRows } from './hot-key-bench.js';
import { hotKeyCostRows } from './hot-key-cost.js';
import { HOT_KEY_SPECS } from './hot-key-libraries.js';
import { releaseWithNodeDown } from './node-down.js';
import { cacheBench } from './cache-bench.js';
import { semaphoreBench } from './semaphore-bench.js';
import { cpuTicks, stealDuring } from './machine.js';
import { benchmarkDoc, targets } from './doc.js';
import { handoffChart, markdown, type BenchResults, type ConcurrentRow, type UncontendedRow } from './report.js';
import { concurrentPairs, sequentialPairs, uncontendedLibraries } from './scenarios.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    pairs: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '200' },
    duration: { type: 'string', default: '400' },
    'hot-rounds': { type: 'string', default: '3' },
    bursts: { type: 'string', default: '10' },
    'loop-ms': { type: 'string', default: '1000' },
    'cost-rounds': { type: 'string', default: '3' },
    'write-docs': { type: 'boolean', default: false },
    /** Only the hot-key cost, fairness and node-down rows, printed (no docs written). */
    'cost-only': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const PAIRS = Number(values.pairs);
const WORKERS = Number(values.workers);
const DURATION = Number(values.duration);

async function openAll(sockets: readonly string[], autoPipelining: boolean): Promise<Redis[]> {
  const clients = sockets.map((path) => new Redis({ path, enableAutoPipelining: autoPipelining, lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

/** 0..n-1 in a random order (Fisher-Yates). */
function shuffledIndexes(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** Median over rounds of `metric(row of lib) / metric(row of the floor)` in the same round. */
function pairedRatio(rounds: readonly number[], floorRounds: readonly number[]): number {
  return median(rounds.map((value, round) => value / (floorRounds[round] ?? Number.NaN)));
}

async function uncontended(sockets: readonly string[]): Promise<UncontendedRow[]> {
  const clients = await openAll(sockets, false);
  const libs = await uncontendedLibraries(clients);
  const samples = libs.map(() => [] as number[][]);
  for (const lib of libs) await sequentialPairs(lib, `bench:warm:${lib.name}`, 300);
  for (let round = 0; round < ROUNDS; round++) {
    const rounds = libs.map(() => [] as number[]);
    // One pair per library in turn, in a fresh random order each time, so that every library sees
    // the same machine moments and none always runs right after the same other one (a fixed
    // rotation did that: whatever the previous library leaves in the caches or the heap was
    // always left for the same next one).
    for (let pair = 0; pair < PAIRS; pair++) {
      for (const i of shuffledIndexes(libs.length)) {
        const lib = libs[i];
        if (lib !== undefined) rounds[i]?.push(...(await sequentialPairs(lib, `bench:seq:${lib.name}`, 1)));
      }
    }
    rounds.forEach((r, i) => samples[i]?.push(r));
  }
  await Promise.all(libs.map((lib) => lib.close()));
  for (const c of clients) c.disconnect();
  const p = (sets: number[][], q: number): number => median(sets.map((s) => percentile(s, q)));
  const p50s = samples.map((sets) => sets.map((s) => percentile(s, 50)));
  return libs.map((lib, i) => ({ library: lib.name, p50: p(samples[i] ?? [], 50), p99: p(samples[i] ?? [], 99), ratio: pairedRatio(p50s[i] ?? [], p50s[0] ?? []) }));
}

/** The cost, fairness and node-down rows alone, printed as markdown. */
async function costOnly(sockets: readonly string[]): Promise<void> {
  const log = (line: string): void => console.error(line);
  const rounds = Number(values['cost-rounds']);
  const loopMs = Number(values['loop-ms']);
  const costSpecs = [{ kind: 'redsync-ts' as const }, { kind: 'redsync-ts' as const, variant: { retryDelay: 5 } }, ...HOT_KEY_SPECS.filter((spec) => spec.kind === 'peer')];
  const hotKeyCost = await hotKeyCostRows({ sockets: sockets.slice(0, 3), processes: 3, contenders: 6, holdMs: [1, 5], rounds, loopMs, specs: costSpecs }, log);
  const fairness = await hotKeyCostRows({ sockets: sockets.slice(0, 1), processes: 4, contenders: 5, holdMs: [1, 5], rounds, loopMs, specs: [{ kind: 'redsync-ts' }, { kind: 'redsync-ts', variant: { fair: true } }, { kind: 'mixed' }] }, log);
  const nodeDown = await releaseWithNodeDown(servers.slice(0, 3), 200);
  console.log(markdown({ date: new Date().toISOString(), environment: '', uncontended: [], concurrent: [], hotKey: [], hotKeyCost, fairness, nodeDown }));
  if ([...hotKeyCost, ...fairness].some((r) => r.overlaps > 0 && r.library.includes('redsync-ts'))) process.exitCode = 1;
}

async function concurrent(sockets: readonly string[], autoPipelining: boolean): Promise<ConcurrentRow[]> {
  const clients = await openAll(sockets, autoPipelining);
  const libs = await uncontendedLibraries(clients);
  const runs = libs.map(() => ({ rates: [] as number[], cpu: [] as number[], failures: 0 }));
  for (let round = 0; round < ROUNDS; round++) {
    for (const i of shuffledIndexes(libs.length)) {
      const lib = libs[i];
      const run = runs[i];
      if (lib === undefined || run === undefined) continue;
      const r = await concurrentPairs(lib, `bench:par:${lib.name}:${String(round)}`, WORKERS, DURATION);
      run.rates.push(r.pairsPerSecond);
      run.cpu.push(r.cpuMicrosPerPair);
      run.failures += r.failures;
    }
  }
  await Promise.all(libs.map((lib) => lib.close()));
  for (const c of clients) c.disconnect();
  return libs.map((lib, i) => ({
    library: lib.name,
    pairsPerSecond: median(runs[i]?.rates ?? []),
    ratio: pairedRatio(runs[i]?.rates ?? [], runs[0]?.rates ?? []),
    cpuMicrosPerPair: median(runs[i]?.cpu ?? []),
    failures: runs[i]?.failures ?? 0,
  }));
}

const ticksBefore = cpuTicks();
const servers = await startRedisServers(5);
if (values['cost-only']) {
  try {
    await costOnly(servers.map((s) => s.socket));
  } finally {
    await stopRedisServers(servers);
  }
  process.exit(process.exitCode ?? 0);
}
try {
  const sockets = servers.map((s) => s.socket);
  const log = (line: string): void => console.error(line);
  const redis = execFileSync('redis-server', ['--version']).toString().trim().split(' ').slice(0, 3).join(' ');
  const environment = `Node ${process.version}, ${String(cpus().length)} CPU cores shared by the clients and the servers, ${redis}, local redis-servers on unix sockets, ioredis`;
  log(`${environment}; ${String(ROUNDS)} rounds`);
  const uncontendedResults = [];
  for (const nodes of [1, 5]) {
    uncontendedResults.push({ nodes, rows: await uncontended(sockets.slice(0, nodes)) });
    log(`uncontended, ${String(nodes)} node(s): done`);
  }
  const concurrentResults = [];
  for (const [nodes, pipelining] of [
    [1, false],
    [1, true],
    [5, true],
  ] as const) {
    concurrentResults.push({ nodes, pipelining, rows: await concurrent(sockets.slice(0, nodes), pipelining) });
    log(`${String(WORKERS)} workers, ${String(nodes)} node(s), pipelining ${String(pipelining)}: done`);
  }
  const hotOptions = { socket: sockets[0] as string, rounds: Number(values['hot-rounds']), bursts: Number(values.bursts), loopMs: Number(values['loop-ms']), contenders: 20 };
  const hotKey = [];
  for (const processes of [1, 4]) hotKey.push({ processes, rows: await hotKeyRows(hotOptions, processes, log) });
  const costRounds = Number(values['cost-rounds']);
  const costSpecs = [{ kind: 'redsync-ts' as const }, { kind: 'redsync-ts' as const, variant: { retryDelay: 5 } }, ...HOT_KEY_SPECS.filter((spec) => spec.kind === 'peer')];
  const hotKeyCost = await hotKeyCostRows({ sockets: sockets.slice(0, 3), processes: 3, contenders: 6, holdMs: [1, 5], rounds: costRounds, loopMs: hotOptions.loopMs, specs: costSpecs }, log);
  const fairnessSpecs = [{ kind: 'redsync-ts' as const }, { kind: 'redsync-ts' as const, variant: { fair: true } }, { kind: 'mixed' as const }];
  const fairness = await hotKeyCostRows({ sockets: sockets.slice(0, 1), processes: 4, contenders: 5, holdMs: [1, 5], rounds: costRounds, loopMs: hotOptions.loopMs, specs: fairnessSpecs }, log);
  const nodeDown = await releaseWithNodeDown(servers.slice(0, 3), 200);
  log('release with a node down: done');
  const cache = await cacheBench(sockets[4] as string, { rounds: costRounds, log });
  const semaphore = await semaphoreBench(sockets[3] as string, { rounds: costRounds, log });
  const stolen = stealDuring(ticksBefore, cpuTicks());
  const results: BenchResults = { date: new Date().toISOString(), environment: stolen === '' ? environment : `${environment}. ${stolen}`, uncontended: uncontendedResults, concurrent: concurrentResults, hotKey, hotKeyCost, fairness, nodeDown, cache, semaphore };
  const tables = markdown(results);
  const verdicts = targets(results);
  console.log(`${tables}\n${verdicts}`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/latest.json', `${JSON.stringify(results, null, 2)}\n`);
  if (values['write-docs']) {
    writeFileSync('docs/benchmarks.md', benchmarkDoc(results, tables, verdicts, { rounds: ROUNDS, pairs: PAIRS, workers: WORKERS, duration: DURATION, bursts: hotOptions.bursts, loopMs: hotOptions.loopMs }));
    writeFileSync('docs/benchmark-handoff.svg', handoffChart(results));
    writeFileSync('docs/benchmarks.json', `${JSON.stringify(results, null, 2)}\n`);
  }
  const overlaps = [...hotKey.flatMap((h) => h.rows), ...hotKeyCost.map((r) => ({ ...r, processes: 3 })), ...fairness.map((r) => ({ ...r, processes: 4 }))].filter((r) => r.overlaps > 0);
  for (const r of overlaps) console.error(`MUTUAL EXCLUSION VIOLATED by ${r.library} (${String(r.processes)} process(es)): ${String(r.overlaps)} overlapping holds`);
  // A peer's violation is reported; ours (or the floor's, which would mean the check is wrong) fails the run.
  if (overlaps.some((r) => r.library.includes('redsync-ts') || r.library.includes('floor'))) process.exitCode = 1;
  for (const r of semaphore.contended.rows.filter((row) => row.mostHeld > semaphore.contended.limit)) {
    console.error(`SEMAPHORE LIMIT EXCEEDED by ${r.library}: ${String(r.mostHeld)} permits held at once`);
    if (r.library === 'redsync-ts' || r.library === 'floor') process.exitCode = 1;
  }
} finally {
  await stopRedisServers(servers);
}
