/**
 * How much of the machine the benchmark actually had. On a shared virtual machine the hypervisor
 * can take CPU time away ("steal"): the figures of such a run are slower and noisier, which the
 * record should say rather than hide.
 */
import { readFileSync } from 'node:fs';

/** Cumulative CPU ticks of the whole machine, or undefined where /proc/stat is not available. */
export interface CpuTicks {
  readonly steal: number;
  readonly total: number;
}

export function cpuTicks(): CpuTicks | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice: guests are inside user.
    const total = fields.slice(0, 8).reduce((sum, n) => sum + n, 0);
    return { steal: fields[7] ?? 0, total };
  } catch {
    return undefined;
  }
}

/** "CPU steal 12.3% of the run", or an empty string when it cannot be told. */
export function stealDuring(before: CpuTicks | undefined, after: CpuTicks | undefined): string {
  if (before === undefined || after === undefined || after.total <= before.total) return '';
  const share = (100 * (after.steal - before.steal)) / (after.total - before.total);
  return `CPU time stolen by the hypervisor during the run: ${share.toFixed(1)}%`;
}
