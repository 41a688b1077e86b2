/**
 * `npm run torture`: every scenario of the fault matrix, several contender processes each, with a
 * checker counting overlapping holds, lost updates and fence-order violations. Prints one row per
 * scenario and writes docs/safety.md. Exits 1 when a safe scenario shows a violation, or an unsafe
 * control shows none (the checker would be blind).
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { nemeses } from './nemesis.js';
import { FENCES_FORGOTTEN, FENCES_ONLY, UNSAFE, handoffMode, isCacheRow, isFairRow, isMultiRow, isRwRow, isSemaphoreRow } from './scenarios.js';
import { runScenario, type ScenarioResult } from './run-scenario.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    processes: { type: 'string', default: '8' },
    ttl: { type: 'string', default: '1000' },
    max: { type: 'string', default: '20000' },
    work: { type: 'string', default: '10' },
    only: { type: 'string' },
    'write-docs': { type: 'boolean', default: false },
  },
});
const options = {
  seconds: Number(values.seconds),
  processes: Number(values.processes),
  ttl: Number(values.ttl),
  maxAcquisitions: Number(values.max),
  workMs: Number(values.work),
};

const rows: ScenarioResult[] = [];
for (const scenario of Object.keys(nemeses).filter((s) => values.only === undefined || s.includes(values.only))) {
  const result = await runScenario(scenario, options);
  rows.push(result);
  console.error(`${scenario}: ${describe(result)}`);
}

function expectation(scenario: string): string {
  if (UNSAFE.has(scenario)) return 'violations (control)';
  if (FENCES_ONLY.has(scenario)) return 'fences in order (overlaps possible: bare-quorum holders)';
  if (isCacheRow(scenario)) return '0 stored entries replaced by an older fill (lost updates column)';
  if (isSemaphoreRow(scenario)) return '0 holders above the limit (overlaps column)';
  if (isRwRow(scenario)) return '0 holds beside a conflicting one (overlaps column)';
  if (isMultiRow(scenario)) return '0 holds of one name intersecting (overlaps column)';
  if (isFairRow(scenario)) return '0 overlaps';
  if (handoffMode(scenario) !== undefined) return '0 overlaps, 0 lost updates, 0 renewing holds lost';
  return FENCES_FORGOTTEN.has(scenario) ? '0 overlaps, 0 lost; fences may repeat (no persistence)' : '0';
}

/** Controls must show violations; safe scenarios none (fences excepted where counters are lost), and must grant locks. */
export function meetsExpectation(r: ScenarioResult): boolean {
  if (r.skipped !== undefined) return true;
  if (r.staleUnaborted > 0) return false;
  if (UNSAFE.has(r.scenario)) return r.overlaps + r.lostUpdates > 0;
  if (isCacheRow(r.scenario)) return r.lostUpdates === 0 && r.acquisitions > 0;
  if (FENCES_ONLY.has(r.scenario)) return r.fenceOrderViolations === 0 && r.acquisitions > 0;
  // A quorum always holds in these rows: a renewing holder declared lost is a false alarm.
  if (handoffMode(r.scenario) !== undefined) return r.overlaps + r.lostUpdates + r.lost === 0 && r.acquisitions > 0;
  const fences = FENCES_FORGOTTEN.has(r.scenario) ? 0 : r.fenceOrderViolations;
  return r.overlaps + r.lostUpdates + fences === 0 && r.acquisitions > 0;
}

export function describe(r: ScenarioResult): string {
  if (r.skipped !== undefined) return `skipped: ${r.skipped}`;
  return `violations: ${String(r.overlaps)} overlaps / ${String(r.lostUpdates)} lost updates / ${String(r.fenceOrderViolations)} out-of-order fences in ${String(r.acquisitions)} acquisitions by ${String(r.processes)} processes under ${String(r.faults)} injected faults; availability ${(r.availability * 100).toFixed(1)} %; acquire p99 ${r.acquireP99.toFixed(0)} ms; ${String(r.stale)} holds outlived their validity (${String(r.staleUnaborted)} with the signal not aborted); ${String(r.lost)} holds lost (signal aborted with LockLostError), at most ${r.maxAbortLateness.toFixed(1)} ms after validity end`;
}

const table = [
  '| scenario | expected | overlaps | lost updates | out-of-order fences | acquisitions | faults | availability | acquire p99 | stale holds (signal not aborted) |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) =>
    r.skipped !== undefined
      ? `| ${r.scenario} | ${expectation(r.scenario)} | skipped: ${r.skipped} | | | | | | | |`
      : `| ${r.scenario} | ${expectation(r.scenario)} | ${String(r.overlaps)} | ${String(r.lostUpdates)} | ${String(r.fenceOrderViolations)} | ${String(r.acquisitions)} | ${String(r.faults)} | ${(r.availability * 100).toFixed(1)} % | ${r.acquireP99.toFixed(0)} ms | ${String(r.stale)} (${String(r.staleUnaborted)}) |`,
  ),
].join('\n');
console.log(table);
if (values['write-docs']) {
  writeFileSync(
    'docs/safety.md',
    `# Safety under faults\n\nWritten by \`npm run torture -- --write-docs\` on ${new Date().toISOString().slice(0, 10)}: ${String(options.processes)} contender processes per scenario, ${String(options.seconds)} s each, 5 lock nodes (redis-server on unix sockets, behind in-process TCP fault proxies on loopback), ttl ${String(options.ttl)} ms, fencing on, work 0..${String(options.workMs)} ms per hold.\n\nEach contender takes the lock, does a read-modify-write of a counter on a separate Redis (the lost-update probe) and a fenced write, then releases. The checker merges the histories on CLOCK_MONOTONIC (shared by every process on the machine): an *overlap* is two holds whose believed intervals (from acquire returning to release, loss signal or validity end, whichever came first) intersect; a *lost update* is a completed read-modify-write missing from the counter; an *out-of-order fence* is a grant whose fence is not above that of a grant that ended before it began. The UNSAFE rows are controls that must show violations: if they did not, the checker would be blind (the libfaketime rows need \`apt-get install faketime libtcmalloc-minimal4\` and are skipped without it). In the holder rows the fault targets a process that holds the lock: *partitioned from the majority* cuts that process alone off from 3 of the 5 nodes (through proxies of its own) while it works and renews, so its renewals fail and its signal must abort by its validity end; *paused past its ttl* SIGSTOPs it for 1.5 ttl. *Stale holds* are holds whose work outlived the lock's validity; the number in brackets counts those whose \`lock.signal\` was not yet aborted when the work resumed, and must be 0. A contender checks \`lock.signal.aborted\` before its read-modify-write but makes its fenced write regardless, as if a pause had struck between the check and the write: fencing must refuse those. The single-node clock-jump row is not a safe configuration under contention, though only one node misbehaves: a holder that won on a bare quorum (3 of 5, because the other two still held the previous holder's key or had not yet applied its SET) loses its majority when one of its three nodes expires the key early, and a contender can then win on that node plus the other two. Redlock tolerates a faulty node only for holders with votes to spare. Its fencing tokens stay in order, because counters never expire: that is what the row checks. The delayed-restart row shows the fencing caveat: a majority restarted without persistence forgets its counters, so tokens can repeat even though no two holds overlap; run Redis with AOF (\`appendfsync always\`) where fences must never repeat.\n\nThe cache rows run \`rs.cache\` instead: each process gets 3 hot keys over and over (entries live 200 ms, or 2.5 ttls in the pause rows, whose fillers are stopped for 2 ttls while their fill locks live half a ttl, so that the entry a late filler would replace is still fresh when it wakes), its loader ignoring its signal and taking half to all of the work time, and after each get reads the stored entry raw. The *lost updates* column counts entries replaced by one whose fill began earlier (a stamp that went back while the newer entry's ttl had not run out), *acquisitions* counts successful gets, and *acquire p99* their latency. The control swaps the fill's checked write for a blind SET: a filler paused past its lease then overwrites newer entries, and the checker must see it.\n\nThe semaphore rows take permits of one semaphore instead (limit 3, mode 'quorum' on the 5 nodes: 2 per node, 3 votes), 3 callers per process, each hold working 0..${String(options.workMs)} ms. The *overlaps* column counts holds that began while 3 others were held (each one holder too many at that instant). The control is the unsafe quorum semaphore built from public parts (a single-node semaphore of limit 3 per node, and a permit counted once 3 of the 5 admitted: up to floor(5 x 3 / 3) = 5 holders); the checker must see it exceed 3. The read-write rows run the same way with two readers and one writer per process; *overlaps* counts holds that began beside a conflicting one (a writer beside anyone, a reader beside a writer), and the control's readers skip the writer. The multi-lock rows take random pairs of 3 names (in random order) with \`rs.multiLock\`; *overlaps* counts pairs of holds of one name that intersect. The fair lock rows take \`rs.fairLock\` (holds handed over in one hop by the release script); *overlaps* counts intersecting holds. Their controls give each process a Redsync of one node of its own (no majority shared), and the checker must see overlaps. See docs/primitives.md.\n\nThe Cluster rows run on one Redis Cluster (3 masters, a replica each, \`cluster-node-timeout\` 500 ms) as the only node of each contender's Redsync, ttl 4 s, holds of 2.4 to 3.6 s. The fault is the one asynchronous replication cannot cover: the lock slot's replica is cut off (its link killed, then the process stopped before it reconnects: a stop alone would leave the master's stream in its socket buffer, applied when it resumes), a contender takes the lock on the master meanwhile, the master is killed, the replica resumed and promoted without that hold, and the old master restarted as a replica once the promotion is done. With \`waitReplicas: 1\` no vote counts until the replica acknowledged the write, so no hold is granted on the master alone (and none at all while the replica is cut off: hence the low availability); the control runs the same fault without it. The Sentinel rows do the same on one master with one replica and 3 sentinels (\`down-after-milliseconds\` 500): the replica is cut off by switching off the replication user it authenticates with and dropping its link, so it cannot resynchronise but still answers the sentinels (a stopped replica is marked down and passed over by the failover); the old master comes back as a replica of the promoted one once every sentinel names it. See docs/topologies.md.\n\n${table}\n`,
  );
}
const bad = rows.filter((r) => !meetsExpectation(r));
if (bad.length > 0) {
  console.error(`FAILED: ${bad.map((r) => r.scenario).join('; ')}`);
  process.exitCode = 1;
}
