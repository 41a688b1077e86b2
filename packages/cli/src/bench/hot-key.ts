/**
 * One hot key, many contenders, in this process: the records the hot-key rows are computed from.
 * Times are CLOCK_MONOTONIC ms (process.hrtime), comparable across processes on one machine.
 */
import { countOverlaps } from '../intervals.js';
import { monotonicMs } from '../torture/history.js';
import type { LockLibrary } from './libraries.js';

export interface Hold {
  /** Who held it: process and contender. */
  readonly owner: string;
  readonly asked: number;
  readonly acquired: number;
  /** When release() was called: the hold as the owner saw it ends here. */
  readonly released: number;
}

export interface HotKeyRecords {
  readonly holds: Hold[];
  /** Acquisitions that the library gave up on. */
  readonly failures: number;
}

export { monotonicMs };

/** Every contender asks once, all at the same moment, and releases at once. */
export async function burst(lib: LockLibrary, key: string, contenders: number, proc: number): Promise<HotKeyRecords> {
  const holds: Hold[] = [];
  let failures = 0;
  await Promise.all(
    Array.from({ length: contenders }, async (_, c) => {
      const asked = monotonicMs();
      try {
        const release = await lib.acquire(key);
        const acquired = monotonicMs();
        const released = monotonicMs();
        holds.push({ owner: `${String(proc)}.${String(c)}`, asked, acquired, released });
        await release();
      } catch {
        failures += 1;
      }
    }),
  );
  return { holds, failures };
}

/** A hold of `min` to `max` ms (uniform), or none. */
export type HoldMs = readonly [number, number] | undefined;

function hold(ms: HoldMs): Promise<void> | undefined {
  if (ms === undefined) return undefined;
  return new Promise((resolve) => setTimeout(resolve, ms[0] + Math.random() * (ms[1] - ms[0])));
}

/** How long after `until` a loop waits for acquisitions still in flight before it reports. */
const LOOP_GRACE_MS = 2000;

/**
 * Every contender takes, holds (`holdMs`), releases and asks again, until `until` (monotonic ms).
 * Reports at most LOOP_GRACE_MS after `until`: a library that livelocks (split votes on N nodes
 * with a short retry delay) leaves acquisitions pending that would otherwise hold up the run.
 */
export async function loop(lib: LockLibrary, key: string, contenders: number, proc: number, until: number, holdMs?: HoldMs): Promise<HotKeyRecords> {
  const holds: Hold[] = [];
  let failures = 0;
  let grace: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    grace = setTimeout(resolve, Math.max(0, until - monotonicMs()) + LOOP_GRACE_MS);
  });
  const contending = Promise.all(
    Array.from({ length: contenders }, async (_, c) => {
      while (monotonicMs() < until) {
        const asked = monotonicMs();
        try {
          const release = await lib.acquire(key);
          const acquired = monotonicMs();
          await hold(holdMs);
          holds.push({ owner: `${String(proc)}.${String(c)}`, asked, acquired, released: monotonicMs() });
          await release();
        } catch {
          failures += 1;
        }
      }
    }),
  );
  await Promise.race([contending, late]);
  clearTimeout(grace);
  return { holds: [...holds], failures };
}

/** Pairs of holds that intersect: any is a mutual-exclusion violation. */
export function overlaps(holds: readonly Hold[]): number {
  return countOverlaps(
    holds,
    (h) => h.acquired,
    (h) => h.released,
  );
}

/** Next owner's acquisition minus the previous owner's release call, within each burst or run. */
export function handoffGaps(holds: readonly Hold[]): number[] {
  const sorted = [...holds].sort((a, b) => a.acquired - b.acquired);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) gaps.push((sorted[i] as Hold).acquired - (sorted[i - 1] as Hold).released);
  return gaps;
}
