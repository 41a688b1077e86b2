/**
 * `npm run bench`: the library beside the raw floor (SET NX PX + compare-and-delete EVALSHA on the
 * same ioredis clients), interleaved round by round in one process, on temporary redis-servers
 * over unix sockets. Prints a markdown table and writes bench-results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { median, renderTable, type Row } from './table.js';
import { concurrentPairs, contenders, sequentialPairs, type Contender } from './scenarios.js';
import { percentile } from '../percentile.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '9' },
    pairs: { type: 'string', default: '2000' },
    workers: { type: 'string', default: '200' },
    duration: { type: 'string', default: '400' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(values.rounds);
const PAIRS = Number(values.pairs);
const WORKERS = Number(values.workers);
const DURATION = Number(values.duration);
const TTL = 10_000;

async function openAll(sockets: readonly string[], autoPipelining: boolean): Promise<Redis[]> {
  const clients = sockets.map((path) => new Redis({ path, enableAutoPipelining: autoPipelining, enableOfflineQueue: false, lazyConnect: true }));
  await Promise.all(clients.map((c) => c.connect()));
  return clients;
}

async function uncontended(sockets: readonly string[], rows: Row[]): Promise<void> {
  const clients = await openAll(sockets, false);
  const [floor, lib] = await contenders(clients, TTL);
  if (floor === undefined || lib === undefined) throw new Error('no contenders');
  const samples = { floor: [] as number[][], lib: [] as number[][] };
  await sequentialPairs(floor, 'bench:warm', 500);
  await sequentialPairs(lib, 'bench:warm', 500);
  for (let round = 0; round < ROUNDS; round++) {
    // Fine-grained alternation (blocks of 100 pairs) so both see the same machine moments;
    // who goes first also alternates.
    const floorRound: number[] = [];
    const libRound: number[] = [];
    for (let block = 0; block < PAIRS / 100; block++) {
      const order: Contender[] = (round + block) % 2 === 0 ? [floor, lib] : [lib, floor];
      for (const c of order) (c === floor ? floorRound : libRound).push(...(await sequentialPairs(c, `bench:seq:${c.name}`, 100)));
    }
    samples.floor.push(floorRound);
    samples.lib.push(libRound);
  }
  const p = (sets: number[][], q: number): number => median(sets.map((s) => percentile(s, q)));
  rows.push({
    scenario: `uncontended lock+unlock, ${sockets.length} node(s)`,
    metric: 'p50 / p99 ms',
    floor: `${p(samples.floor, 50).toFixed(3)} / ${p(samples.floor, 99).toFixed(3)}`,
    library: `${p(samples.lib, 50).toFixed(3)} / ${p(samples.lib, 99).toFixed(3)}`,
    ratio: p(samples.lib, 50) / p(samples.floor, 50),
    ratioLabel: 'p50 library / floor',
  });
  for (const c of clients) c.disconnect();
}

async function concurrent(sockets: readonly string[], autoPipelining: boolean, rows: Row[]): Promise<void> {
  const clients = await openAll(sockets, autoPipelining);
  const [floor, lib] = await contenders(clients, TTL);
  if (floor === undefined || lib === undefined) throw new Error('no contenders');
  const rates = { floor: [] as number[], lib: [] as number[], floorCpu: [] as number[], libCpu: [] as number[] };
  // Short windows, many of them, alternating: throughput on a small machine drifts from second to second.
  for (let round = 0; round < ROUNDS * 3; round++) {
    const order: Contender[] = round % 2 === 0 ? [floor, lib] : [lib, floor];
    for (const c of order) {
      const r = await concurrentPairs(c, `bench:par:${c.name}:${round}`, WORKERS, DURATION);
      const [pairs, cpu] = c === floor ? [rates.floor, rates.floorCpu] : [rates.lib, rates.libCpu];
      pairs.push(r.pairsPerSecond);
      cpu.push(r.cpuMicrosPerPair);
    }
  }
  rows.push({
    scenario: `${WORKERS} workers, distinct keys, ${sockets.length} node(s), auto-pipelining ${autoPipelining ? 'on' : 'off'}`,
    metric: 'pairs/s (CPU µs/pair)',
    floor: `${median(rates.floor).toFixed(0)} (${median(rates.floorCpu).toFixed(0)})`,
    library: `${median(rates.lib).toFixed(0)} (${median(rates.libCpu).toFixed(0)})`,
    ratio: median(rates.lib) / median(rates.floor),
    ratioLabel: 'pairs/s library / floor',
  });
  for (const c of clients) c.disconnect();
}

function benchmarkDoc(table: string): string {
  const redis = execFileSync('redis-server', ['--version']).toString().trim();
  return `# Benchmarks

Written by \`npm run bench -- --write-docs\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version},
${String(cpus().length)} CPU cores shared by the client and the servers, ${redis.split(' ').slice(0, 3).join(' ')},
${servers.length} local redis-servers on unix sockets, ioredis.

The floor is a hand-written \`SET key value NX PX ttl\` plus a compare-and-delete \`EVALSHA\` on the
same clients, sent to every node at once, with the cheapest unique value there is (a counter): the
Redis round trips a lock needs and nothing else. Floor and library run alternately, round after
round (${String(ROUNDS)} rounds), in one process; each figure is the median over rounds. Ratios are library / floor.

${table}

On a 2-core machine the client and five redis-servers compete for the same cores, so round-to-round
spread is large (a few tenths of the ratio in the throughput rows); compare ratios from one run,
not figures across runs.
`;
}

const servers = await startRedisServers(5);
try {
  const sockets = servers.map((s) => s.socket);
  const rows: Row[] = [];
  console.error(`redis ${servers.length} servers up; ${ROUNDS} rounds, ${PAIRS} sequential pairs, ${WORKERS} workers x ${DURATION} ms`);
  await uncontended(sockets.slice(0, 1), rows);
  await uncontended(sockets, rows);
  await concurrent(sockets.slice(0, 1), false, rows);
  await concurrent(sockets.slice(0, 1), true, rows);
  await concurrent(sockets, true, rows);
  const table = renderTable(rows);
  console.log(table);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/latest.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, rounds: ROUNDS, rows }, null, 2));
  if (values['write-docs']) writeFileSync('docs/benchmarks.md', benchmarkDoc(table));
} finally {
  await stopRedisServers(servers);
}
