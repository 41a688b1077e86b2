/**
 * Counts the items whose interval starts before an earlier-starting item's interval ended: pairs
 * of holds that intersect, which for a lock is a mutual-exclusion violation.
 */
export function countOverlaps<T>(items: readonly T[], start: (item: T) => number, end: (item: T) => number): number {
  const sorted = [...items].sort((a, b) => start(a) - start(b));
  let count = 0;
  let latestEnd = Number.NEGATIVE_INFINITY;
  for (const item of sorted) {
    if (start(item) < latestEnd) count += 1;
    latestEnd = Math.max(latestEnd, end(item));
  }
  return count;
}
