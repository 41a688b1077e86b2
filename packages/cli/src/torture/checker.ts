import { countOverlaps } from '../intervals.js';
import type { Hold } from './history.js';

export interface Verdict {
  readonly acquisitions: number;
  /** Pairs of believed holds that intersect in time. */
  readonly overlaps: number;
  /** Completed read-modify-writes that left no trace in the counter. */
  readonly lostUpdates: number;
  /** Grants whose fence is not above the fence of a grant that ended before they began. */
  readonly fenceOrderViolations: number;
}

/**
 * Counts the violations in merged histories. Conservative in the right direction: a hold is what
 * the holder itself believed (from its acquire returning to its release, loss signal or validity
 * end), so any intersection of two is counted.
 */
export function check(holds: readonly Hold[], finalCounter: number): Verdict {
  const sorted = [...holds].sort((a, b) => a.start - b.start);
  const overlaps = countOverlaps(
    sorted,
    (h) => h.start,
    (h) => h.end,
  );
  let fenceOrderViolations = 0;
  let highestEnded = 0;
  const byEnd = [...sorted].sort((a, b) => a.end - b.end);
  let e = 0;
  for (const hold of sorted) {
    while (e < byEnd.length && (byEnd[e] as Hold).end <= hold.start) highestEnded = Math.max(highestEnded, (byEnd[e++] as Hold).fence);
    if (hold.fence > 0 && hold.fence <= highestEnded) fenceOrderViolations += 1;
  }
  const writes = holds.filter((h) => h.wrote).length;
  return { acquisitions: holds.length, overlaps, lostUpdates: Math.max(0, writes - finalCounter), fenceOrderViolations };
}

/**
 * The semaphore rows' count: holds that began while `limit` others were already held (each such
 * start is one holder too many at that instant). Holds are what each holder believed.
 */
export function overLimit(holds: readonly Hold[], limit: number): number {
  const events = holds.flatMap((h) => [
    { at: h.start, step: 1 },
    { at: h.end, step: -1 },
  ]);
  // Ends before starts at the same instant: a hold handed over at t is not two holds at t.
  events.sort((a, b) => a.at - b.at || a.step - b.step);
  let held = 0;
  let over = 0;
  for (const { step } of events) {
    held += step;
    if (step === 1 && held > limit) over += 1;
  }
  return over;
}

/**
 * The multi-lock rows' count: pairs of holds that intersect in time and share a name, summed over
 * the names (each hold covers the `resources` it took).
 */
export function nameOverlaps(holds: readonly Hold[]): number {
  const byName = new Map<string, Hold[]>();
  for (const hold of holds) {
    for (const name of hold.resources ?? ['']) {
      const list = byName.get(name);
      if (list === undefined) byName.set(name, [hold]);
      else list.push(hold);
    }
  }
  let overlaps = 0;
  for (const list of byName.values()) {
    list.sort((a, b) => a.start - b.start);
    overlaps += countOverlaps(
      list,
      (h) => h.start,
      (h) => h.end,
    );
  }
  return overlaps;
}

/**
 * The read-write rows' count: holds that began beside a conflicting one (a writer while anyone
 * held, a reader while a writer held). Holds are what each holder believed.
 */
export function rwConflicts(holds: readonly Hold[]): number {
  const events = holds.flatMap((h) => [
    { at: h.start, step: 1, writer: h.writer === true },
    { at: h.end, step: -1, writer: h.writer === true },
  ]);
  events.sort((a, b) => a.at - b.at || a.step - b.step);
  const held = { readers: 0, writers: 0 };
  let conflicts = 0;
  for (const { step, writer } of events) {
    if (step === 1 && (held.writers > 0 || (writer && held.readers > 0))) conflicts += 1;
    if (writer) held.writers += step;
    else held.readers += step;
  }
  return conflicts;
}
