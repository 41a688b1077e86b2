/**
 * What a hot key costs the Redis servers: contenders in several processes loop on one key with
 * holds of 1-5 ms, and `INFO commandstats` on every node gives the commands executed (scripts'
 * own calls included) and the CPU they took, per acquisition per node. Also each process's share
 * of the acquisitions and Jain's fairness index. Rounds alternate the library order.
 */
import { Redis } from 'ioredis';
import { median } from '../percentile.js';
import { jainIndex, processTeam, sharesOf } from './hot-key-bench.js';
import { monotonicMs, overlaps, type HoldMs } from './hot-key.js';
import { specName, type LibrarySpec } from './hot-key-libraries.js';

export interface CostRow {
  readonly library: string;
  readonly acquisitionsPerSecond: number;
  /** Commands executed per acquisition, per node (median over rounds). */
  readonly commandsPerAcquisition: number;
  /** Server CPU µs per acquisition, per node (median over rounds). */
  readonly usecPerAcquisition: number;
  readonly shares: number[];
  readonly jain: number;
  readonly failures: number;
  readonly overlaps: number;
}

export interface CostOptions {
  readonly sockets: readonly string[];
  readonly processes: number;
  readonly contenders: number;
  readonly holdMs: HoldMs;
  readonly rounds: number;
  readonly loopMs: number;
  readonly specs: readonly LibrarySpec[];
}

/** Calls and usec summed over every command of `INFO commandstats`. */
export function commandTotals(info: string): { calls: number; usec: number } {
  let calls = 0;
  let usec = 0;
  for (const match of info.matchAll(/^cmdstat_[^:]+:calls=(\d+),usec=(\d+)/gm)) {
    calls += Number(match[1]);
    usec += Number(match[2]);
  }
  return { calls, usec };
}

export async function hotKeyCostRows(options: CostOptions, log: (line: string) => void): Promise<CostRow[]> {
  const admins = options.sockets.map((path) => new Redis({ path }));
  const pools = options.specs.map(() => ({ rates: [] as number[], commands: [] as number[], usec: [] as number[], holds: 0, shares: [] as number[][], failures: 0, overlaps: 0 }));
  try {
    for (let round = 0; round < options.rounds; round++) {
      const order = options.specs.map((spec, i) => ({ spec, i }));
      if (round % 2 === 1) order.reverse();
      for (const { spec, i } of order) {
        const pool = pools[i] as (typeof pools)[number];
        const key = `bench:cost:${String(options.sockets.length)}:${String(round)}:${specName(spec)}`;
        const team = await processTeam(spec, options.sockets, key, options.processes, options.contenders, options.holdMs);
        try {
          await team.loop(monotonicMs() + 200); // warm-up: connections, scripts, subscriptions
          await Promise.all(admins.map((admin) => admin.config('RESETSTAT')));
          const start = monotonicMs();
          const r = await team.loop(start + options.loopMs);
          const elapsed = monotonicMs() - start;
          const totals = (await Promise.all(admins.map(async (admin) => commandTotals(await admin.info('commandstats'))))).reduce((a, b) => ({ calls: a.calls + b.calls, usec: a.usec + b.usec }));
          const perAcquisition = Math.max(1, r.holds.length) * admins.length;
          pool.rates.push(r.holds.length / (elapsed / 1000));
          pool.commands.push(totals.calls / perAcquisition);
          pool.usec.push(totals.usec / perAcquisition);
          pool.shares.push(sharesOf(r.holds, options.processes));
          pool.failures += r.failures;
          pool.overlaps += overlaps(r.holds);
        } finally {
          await team.close();
        }
      }
      log(`hot-key cost, ${String(options.sockets.length)} node(s): round ${String(round + 1)} of ${String(options.rounds)} done`);
    }
  } finally {
    for (const admin of admins) admin.disconnect();
  }
  return options.specs.map((spec, i) => {
    const pool = pools[i] as (typeof pools)[number];
    const shares = Array.from({ length: options.processes }, (_, p) => median(pool.shares.map((s) => s[p] ?? 0)));
    return {
      library: specName(spec),
      acquisitionsPerSecond: median(pool.rates),
      commandsPerAcquisition: median(pool.commands),
      usecPerAcquisition: median(pool.usec),
      shares,
      jain: median(pool.shares.map(jainIndex)),
      failures: pool.failures,
      overlaps: pool.overlaps,
    };
  });
}
