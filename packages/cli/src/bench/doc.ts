import { cacheTargets } from './cache-targets.js';
/** docs/benchmarks.md and the target check printed after every run. */
import type { BenchResults } from './report.js';

const US = 'redsync-ts';

interface DocOptions {
  readonly rounds: number;
  readonly pairs: number;
  readonly workers: number;
  readonly duration: number;
  readonly bursts: number;
  readonly loopMs: number;
}

/** One line per target of the notification issue: measured ratio, target, met or not. */
export function targets(results: BenchResults): string {
  const lines = ['| target | measured | met |', '|---|---|---|'];
  const check = (what: string, value: number, ok: boolean, shown: string): void => {
    lines.push(`| ${what} | ${Number.isFinite(value) ? shown : '-'} | ${ok ? 'yes' : '**no**'} |`);
  };
  for (const { processes, rows } of results.hotKey) {
    const us = rows.find((r) => r.library === US);
    const floor = rows.find((r) => r.library === 'notification floor');
    const tuned = rows.filter((r) => r.library.endsWith('(tuned)'));
    const bestTuned = tuned.reduce((best, r) => (r.gapMean < best.gapMean ? r : best), tuned[0] ?? { gapMean: Number.NaN, library: '-' });
    if (us === undefined || floor === undefined) continue;
    const layout = processes === 1 ? '1 process' : `${String(processes)} processes`;
    const toFloor = us.gapMean / floor.gapMean;
    check(`burst handoff gap <= 1.5x the notification floor (${layout})`, toFloor, toFloor <= 1.5, `${toFloor.toFixed(2)}x (${us.gapMean.toFixed(3)} vs ${floor.gapMean.toFixed(3)} ms)`);
    const better = bestTuned.gapMean / us.gapMean;
    check(`burst handoff gap >= 4x better than the best tuned peer (${layout})`, better, better >= 4, `${better.toFixed(1)}x better than ${bestTuned.library} (${bestTuned.gapMean.toFixed(3)} ms)`);
    const fair = rows.find((r) => r.library === 'redsync-ts fair lock');
    if (fair !== undefined && processes > 1) {
      // The fair lock hands over across processes every time, in one hop: below the floor's two.
      const fairToFloor = fair.gapMean / floor.gapMean;
      check(`fair lock burst handoff gap below the notification floor (${layout})`, fairToFloor, fairToFloor < 1, `${fairToFloor.toFixed(2)}x (${fair.gapMean.toFixed(3)} ms; the mutex ${us.gapMean.toFixed(3)} ms)`);
    }
  }
  for (const { nodes, rows } of results.uncontended) {
    const us = rows.find((r) => r.library === US);
    if (us === undefined) continue;
    const { ratio } = us;
    check(`uncontended p50 <= 1.05x the floor (${String(nodes)} node(s))`, ratio, ratio <= 1.05, `${ratio.toFixed(3)}x`);
  }
  for (const { nodes, pipelining, rows } of results.concurrent.filter((c) => c.pipelining)) {
    const us = rows.find((r) => r.library === US);
    if (us === undefined || !pipelining) continue;
    const { ratio } = us;
    check(`200 workers with pipelining >= 0.9x the floor's pairs/s (${String(nodes)} node(s))`, ratio, ratio >= 0.9, `${ratio.toFixed(3)}x`);
  }
  for (const r of results.hotKeyCost.filter((row) => row.library.startsWith(US))) {
    check(`Redis commands per acquisition per node <= 6 on the hot key, 3 nodes (${r.library})`, r.commandsPerAcquisition, r.commandsPerAcquisition <= 6, r.commandsPerAcquisition.toFixed(2));
  }
  for (const { nodes, rows } of results.uncontended) {
    const plain = rows.find((r) => r.library === US);
    const perCall = rows.find((r) => r.library === 'redsync-ts (mutex + options per call)');
    if (plain === undefined || perCall === undefined) continue;
    const cost = perCall.ratio / plain.ratio;
    check(`a mutex with options per call within 2% of a reused one, uncontended p50 (${String(nodes)} node(s))`, cost, cost <= 1.02, `${cost.toFixed(3)}x`);
  }
  for (const { nodes, pipelining, rows } of results.concurrent) {
    const plain = rows.find((r) => r.library === US);
    const perCall = rows.find((r) => r.library === 'redsync-ts (mutex + options per call)');
    if (plain === undefined || perCall === undefined) continue;
    const cost = perCall.ratio / plain.ratio;
    check(`a mutex with options per call within 2% of a reused one, 200 workers pairs/s (${String(nodes)} node(s), pipelining ${pipelining ? 'on' : 'off'})`, cost, cost >= 0.98, `${cost.toFixed(3)}x`);
  }
  const down = results.nodeDown;
  check('release with 1 of 3 nodes down settles at the quorum (p50 well under the per-node timeout)', down.releaseP50, down.releaseP50 < down.perNodeTimeout / 10, `${down.releaseP50.toFixed(3)} ms (was ${String(down.perNodeTimeout)} ms)`);
  const overlaps = [...results.hotKey.flatMap((h) => h.rows), ...results.hotKeyCost, ...results.fairness].reduce((sum, r) => sum + r.overlaps, 0);
  check('mutual exclusion: 0 overlapping holds in every hot-key run, every library', overlaps, overlaps === 0, `${String(overlaps)} overlaps`);
  if (results.cache !== undefined) lines.push(...cacheTargets(results.cache));
  return lines.join('\n');
}

export function benchmarkDoc(results: BenchResults, tables: string, verdicts: string, o: DocOptions): string {
  return `# Benchmarks

Written by \`npm run bench -- --write-docs\` on ${results.date.slice(0, 10)}: ${results.environment}.
The raw figures are in [benchmarks.json](benchmarks.json).

![Mean handoff gap per library](benchmark-handoff.svg)

## Targets

${verdicts}

## How it is measured

- **Floor**: a hand-written \`SET key value NX PX ttl\` plus a compare-and-delete \`EVALSHA\` on the
  same clients, sent to every node at once, with a counter for a value: the Redis round trips a lock
  needs and nothing else. For the hot key, the **notification floor** adds a \`PUBLISH\` to the
  release and waiters that sleep until a message (one per process per message), on one node: a
  handoff costs the release and the next owner's \`SET\`, about two round trips. redsync-ts goes
  below it where the next owner is in the releasing process: a young lock is passed on to it with
  no round trip at all, an older one in one (see [design.md](design.md)); a change from one
  process to another costs it the floor's two round trips.
- **Peers**, as a user would install them: redlock 5.0.0-beta.2, @sesamecare-oss/redlock 1.4.0,
  redis-semaphore 5.8.0 (\`Mutex\` on 1 node, \`RedlockMutex\` on 5), redlock-universal 0.8.5
  (\`createLock\` on 1 node, \`createRedlock\` on 5), each with its defaults and, for the hot key,
  *tuned*: 10 ms between attempts and enough attempts never to give up (redis-semaphore's default
  is already 10 ms).
- Every library runs on the same ioredis clients, in the same process, interleaved
  (${String(o.rounds)} rounds): uncontended, one lock+unlock pair per library in turn, in a new
  random order for every pair (${String(o.pairs)} pairs per library per round), so that no library
  always follows the same other one; with 200 workers, ${String(o.duration)} ms per library per
  round, in a new random order every round. Each
  figure is the median over rounds. Each ratio is *paired*: the library's figure over the floor's
  in the same round, then the median over rounds, so that a machine whose speed drifts (a shared
  virtual machine's does) moves both sides of each ratio together.
- **Hot key** (one node): 20 contenders on one key, in one process or in 4 processes of 5. *Burst*:
  all 20 ask at once, each once, then release at once; repeated ${String(o.bursts)} times per round. The
  handoff gap is the next owner's acquisition minus the previous owner's call to release; the
  drain time runs from the first request to the last release. *Loop*: every contender takes,
  releases and asks again for ${String(o.loopMs)} ms; owner changes per second count acquisitions
  by someone other than the previous owner (a library that lets the releaser take the lock
  straight back scores low), and the wait p99 is the time from asking to holding. Each library
  gets a fresh connection and a warm-up per round; times are CLOCK_MONOTONIC, shared by every
  process. *Overlaps* counts pairs of holds (acquired to release call) that intersect: any is a
  mutual-exclusion violation, and the run fails on one.

On a 2-core machine the client processes and the redis-servers compete for the same cores, so the
spread between runs is large; compare ratios from one run, not figures across runs.

${tables}
## 10,000 held locks with renewal

Measured by \`npm run bench:leases\` (it needs \`--expose-gc\`): see [benchmark-leases.md](benchmark-leases.md).
`;
}
