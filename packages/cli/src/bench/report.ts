import { cacheMarkdown, type CacheResults } from './cache-bench.js';
import { semaphoreMarkdown, type SemaphoreResults } from './semaphore-bench.js';
/** The benchmark's outputs: markdown tables, the JSON record, and an SVG chart of the handoffs. */
import type { HotKeyResult } from './hot-key-bench.js';
import type { CostRow } from './hot-key-cost.js';
import type { NodeDownRow } from './node-down.js';

export interface UncontendedRow {
  readonly library: string;
  readonly p50: number;
  readonly p99: number;
  /** Median over rounds of this library's p50 over the floor's p50 in the same round. */
  readonly ratio: number;
}

export interface ConcurrentRow {
  readonly library: string;
  readonly pairsPerSecond: number;
  /** Median over rounds of this library's pairs/s over the floor's in the same round. */
  readonly ratio: number;
  readonly cpuMicrosPerPair: number;
  readonly failures: number;
}

export interface BenchResults {
  readonly date: string;
  readonly environment: string;
  readonly uncontended: { readonly nodes: number; readonly rows: UncontendedRow[] }[];
  readonly concurrent: { readonly nodes: number; readonly pipelining: boolean; readonly rows: ConcurrentRow[] }[];
  readonly hotKey: { readonly processes: number; readonly rows: HotKeyResult[] }[];
  /** Commands and server CPU per acquisition on a hot key, 3 nodes, 3 processes x 6, holds of 1-5 ms. */
  readonly hotKeyCost: CostRow[];
  /** Shares of acquisitions beside processes that poll: 4 processes x 5 on 1 node, holds of 1-5 ms. */
  readonly fairness: CostRow[];
  readonly nodeDown: NodeDownRow;
  /** The cache section (issue 12). */
  readonly cache?: CacheResults;
  /** The semaphore section (issue 15). */
  readonly semaphore?: SemaphoreResults;
}

const FLOORS = new Set(['floor', 'notification floor']);
const fixed = (value: number, digits: number): string => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function byFloor<T extends { library: string }>(rows: readonly T[], metric: (row: T) => number): (row: T) => string {
  const floor = rows.find((r) => FLOORS.has(r.library));
  return (row) => (floor === undefined ? '-' : `${fixed(metric(row) / metric(floor), 2)}x`);
}

export function markdown(results: BenchResults): string {
  const out: string[] = [];
  for (const { nodes, rows } of results.uncontended) {
    out.push(`### Uncontended lock + unlock, ${String(nodes)} node(s)`, '', '| library | p50 ms | p99 ms | p50 / floor |', '|---|---|---|---|');
    for (const r of rows) out.push(`| ${r.library} | ${fixed(r.p50, 3)} | ${fixed(r.p99, 3)} | ${fixed(r.ratio, 3)}x |`);
    out.push('');
  }
  for (const { nodes, pipelining, rows } of results.concurrent) {
    out.push(`### 200 workers on distinct keys, ${String(nodes)} node(s), auto-pipelining ${pipelining ? 'on' : 'off'}`, '', '| library | pairs/s | client CPU µs/pair | failed | pairs/s / floor |', '|---|---|---|---|---|');
    for (const r of rows) out.push(`| ${r.library} | ${fixed(r.pairsPerSecond, 0)} | ${fixed(r.cpuMicrosPerPair, 1)} | ${String(r.failures)} | ${fixed(r.ratio, 3)}x |`);
    out.push('');
  }
  for (const { processes, rows } of results.hotKey) {
    const ratio = byFloor(rows, (r) => r.gapMean);
    const who = processes === 1 ? '20 contenders in one process' : `${String(processes)} processes x ${String(20 / processes)} contenders`;
    out.push(
      `### One hot key, ${who}`,
      '',
      '| library | burst: handoff gap mean / p99 ms | gap / floor | burst drain ms | gave up | loop: owner changes/s | loop: wait p99 ms | loop: share per process (Jain index) | overlaps |',
      '|---|---|---|---|---|---|---|---|---|',
    );
    for (const r of rows) {
      const shares = processes === 1 ? '-' : `${shareList(r.shares)} (${fixed(r.jain, 3)})`;
      out.push(
        `| ${r.library} | ${fixed(r.gapMean, 3)} / ${fixed(r.gapP99, 2)} | ${ratio(r)} | ${fixed(r.drainMedian, 1)} | ${String(r.burstFailures + r.loopFailures)} | ${fixed(r.changesPerSecond, 0)} | ${fixed(r.waitP99, 1)} | ${shares} | ${String(r.overlaps)} |`,
      );
    }
    out.push('');
  }
  out.push(...costTables(results));
  if (results.cache !== undefined) out.push(cacheMarkdown(results.cache), '');
  if (results.semaphore !== undefined) out.push(semaphoreMarkdown(results.semaphore), '');
  return out.join('\n');
}

const shareList = (shares: readonly number[]): string => shares.map((s) => `${(100 * s).toFixed(0)}%`).join(' / ');

function costTables(results: BenchResults): string[] {
  const out = [
    '### What one hot key costs the servers: 3 nodes, 3 processes x 6 contenders, holds of 1-5 ms',
    '',
    '| library | acquisitions/s | Redis commands per acquisition per node | Redis CPU µs per acquisition per node | share per process | Jain index | gave up | overlaps |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results.hotKeyCost) {
    out.push(`| ${r.library} | ${fixed(r.acquisitionsPerSecond, 0)} | ${fixed(r.commandsPerAcquisition, 2)} | ${fixed(r.usecPerAcquisition, 1)} | ${shareList(r.shares)} | ${fixed(r.jain, 3)} | ${String(r.failures)} | ${String(r.overlaps)} |`);
  }
  out.push('', '### Fairness beside processes that cannot be notified: 4 processes x 5 on 1 node, holds of 1-5 ms', '', '| processes | acquisitions/s | share per process (0 / 1 / 2 / 3) | Jain index | overlaps |', '|---|---|---|---|---|');
  for (const r of results.fairness) out.push(`| ${r.library} | ${fixed(r.acquisitionsPerSecond, 0)} | ${shareList(r.shares)} | ${fixed(r.jain, 3)} | ${String(r.overlaps)} |`);
  const d = results.nodeDown;
  out.push(
    '',
    '### Release with 1 of 3 nodes down (SIGSTOPped), redsync-ts defaults',
    '',
    '| pairs | release p50 ms | release p99 ms | acquire p50 ms | before: every release waited the per-node timeout |',
    '|---|---|---|---|---|',
    `| ${String(d.releases)} | ${fixed(d.releaseP50, 3)} | ${fixed(d.releaseP99, 3)} | ${fixed(d.acquireP50, 3)} | ${String(d.perNodeTimeout)} ms |`,
    '',
  );
  return out;
}

/** Horizontal bars of the mean burst handoff gap per library, log scale, one bar per process layout. */
export function handoffChart(results: BenchResults): string {
  const libraries = results.hotKey[0]?.rows.map((r) => r.library) ?? [];
  const colours = ['#2b6cb0', '#dd6b20'];
  const [left, barHeight, width] = [250, 12, 760];
  const rowHeight = barHeight * results.hotKey.length + 8;
  const bottom = 32 + libraries.length * rowHeight;
  const height = bottom + 48;
  const [low, high] = [0.01, 1000];
  const x = (ms: number): number => left + ((Math.log10(Math.min(high, Math.max(low, ms))) - Math.log10(low)) / (Math.log10(high) - Math.log10(low))) * (width - left - 20);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${String(width)}" height="${String(height)}" font-family="sans-serif" font-size="11">`,
    `<text x="10" y="16" font-size="13">Mean handoff gap in a burst of 20 contenders on one key (ms, log scale; lower is better)</text>`,
  ];
  for (let decade = -2; decade <= 3; decade++) {
    const at = x(10 ** decade);
    parts.push(`<line x1="${fixed(at, 1)}" y1="26" x2="${fixed(at, 1)}" y2="${String(bottom)}" stroke="#ddd"/>`, `<text x="${fixed(at, 1)}" y="${String(bottom + 14)}" text-anchor="middle">${String(10 ** decade)}</text>`);
  }
  libraries.forEach((library, i) => {
    const top = 32 + i * rowHeight;
    parts.push(`<text x="${String(left - 6)}" y="${String(top + barHeight)}" text-anchor="end">${library}</text>`);
    results.hotKey.forEach(({ rows }, j) => {
      const gap = rows[i]?.gapMean ?? Number.NaN;
      const y = top + j * barHeight;
      parts.push(`<rect x="${String(left)}" y="${String(y)}" width="${fixed(Math.max(1, x(gap) - left), 1)}" height="${String(barHeight - 2)}" fill="${colours[j % 2] as string}"/>`);
      parts.push(`<text x="${fixed(x(gap) + 4, 1)}" y="${String(y + barHeight - 3)}">${fixed(gap, 3)}</text>`);
    });
  });
  results.hotKey.forEach(({ processes }, j) => {
    parts.push(`<rect x="${String(left + j * 160)}" y="${String(bottom + 26)}" width="10" height="10" fill="${colours[j % 2] as string}"/>`, `<text x="${String(left + 14 + j * 160)}" y="${String(bottom + 35)}">${processes === 1 ? '1 process x 20' : `${String(processes)} processes x ${String(20 / processes)}`}</text>`);
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
