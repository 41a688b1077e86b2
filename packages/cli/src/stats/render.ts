/** `redsync stats` as text: a table per sample, and in `--watch` on a terminal a chart of the last minutes. */
import asciichart from 'asciichart';
import type { Sample } from './sample.js';

const pct = (rate: number | undefined): string => (rate === undefined || Number.isNaN(rate) ? '-' : `${(rate * 100).toFixed(1)}%`);
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)}M`;

/** One table: a row per node and a total. */
export function sampleTable(sample: Sample): string[] {
  const rows = [['node', 'role', 'version', 'up', 'clients', 'ops/s', 'hit% (interval)', 'hit% (total)', 'memory / max', 'policy', 'evicted', 'expired', 'keys']];
  for (const n of sample.nodes) {
    const s = n.stats;
    if (s === undefined) {
      rows.push([n.node, `unreachable: ${n.error ?? ''}`]);
      continue;
    }
    const keys = Object.values(s.keys).reduce((a, b) => a + b, 0);
    rows.push([n.node, s.role, s.version, `${String(Math.round(s.uptimeSeconds))}s`, String(s.connectedClients), String(s.opsPerSecond), pct(n.interval?.hitRate), pct(s.hitRate), `${mb(s.usedMemoryBytes)} / ${s.maxMemoryBytes === 0 ? 'none' : mb(s.maxMemoryBytes)}`, s.maxMemoryPolicy, n.interval === undefined ? String(s.evictedKeys) : `+${String(n.interval.evicted)}`, n.interval === undefined ? String(s.expiredKeys) : `+${String(n.interval.expired)}`, String(keys)]);
  }
  const t = sample.total;
  rows.push(['total', '', '', '', '', String(t.opsPerSecond), pct(t.intervalHitRate), pct(t.hitRate), '', '', `+${String(t.evicted)}`, '', String(t.keys)]);
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  return rows.map((row) => row.map((cell, col) => cell.padEnd(widths[col] ?? 0)).join('  ').trimEnd());
}

/** The chart under the table in `--watch` on a terminal: total ops/s and interval hit rate. */
export function chart(history: readonly Sample[], width: number): string[] {
  const recent = history.slice(-Math.max(10, width - 12));
  const ops = recent.map((s) => s.total.opsPerSecond);
  const hits = recent.map((s) => (s.total.intervalHitRate ?? 0) * 100);
  if (ops.length < 2) return [];
  return ['ops/s', ...asciichart.plot(ops, { height: 6 }).split('\n'), 'hit rate % (interval)', ...asciichart.plot(hits, { height: 6, min: 0, max: 100 }).split('\n')];
}
