import { ms, percentile } from '../percentile.js';
import type { WorkerReport } from './protocol.js';

export interface PhaseResult {
  readonly label: string;
  readonly sold: number;
  readonly oversold: number;
  readonly salesPerSecond: number;
  readonly lockP50: number;
  readonly lockP99: number;
  readonly nodeKilled: boolean;
}

export function summarise(label: string, reports: readonly WorkerReport[], elapsedMs: number, stock: number, nodeKilled: boolean): PhaseResult {
  const sold = reports.reduce((sum, r) => sum + r.sold, 0);
  const latencies = reports.flatMap((r) => r.lockLatencies);
  return {
    label,
    sold,
    oversold: Math.max(0, sold - stock),
    salesPerSecond: sold / (elapsedMs / 1000),
    lockP50: percentile(latencies, 50),
    lockP99: percentile(latencies, 99),
    nodeKilled,
  };
}

export function printTable(results: readonly PhaseResult[], options: { stock: number; workers: number; out: (line: string) => void }): void {
  const rows = [
    ['', 'sold', 'oversold', 'sales/s', 'lock p50', 'lock p99'],
    ...results.map((r) => [r.label, String(r.sold), String(r.oversold), r.salesPerSecond.toFixed(0), ms(r.lockP50), ms(r.lockP99)]),
  ];
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length))) ?? [];
  options.out('');
  options.out(`stock: ${options.stock} units, ${options.workers} worker processes`);
  for (const row of rows) options.out(row.map((cell, col) => (col === 0 ? cell.padEnd(widths[col] ?? 0) : cell.padStart(widths[col] ?? 0))).join('  '));
  const locked = results.find((r) => r.nodeKilled);
  if (locked !== undefined) options.out(`(one of the lock nodes was killed midway; the quorum carried on)`);
}
