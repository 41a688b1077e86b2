import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { FaultProxy, RedisServer, startRedisServer, startRedisServers, stopRedisServers } from 'redsync-ts/testing';
import { check, nameOverlaps, overLimit, rwConflicts, type Verdict } from './checker.js';
import { monotonicMs, type ContenderCommand, type ContenderReport, type ContenderStatus, type Hold } from './history.js';
import { nemeses, type Contenders } from './nemesis.js';
import { CLOCKED, LONG_HOLDS, PARTITIONABLE, PERSISTENT, handoffMode, isCacheRow, isFairRow, isMultiRow, isRwRow, isSemaphoreRow, leaseKind } from './scenarios.js';
import { SEMAPHORE_LIMIT } from './semaphore-limit.js';
import { TOPOLOGY_ROWS, TOPOLOGY_TTL, startTopology } from './topology.js';

export interface ScenarioOptions {
  readonly processes: number;
  readonly seconds: number;
  readonly ttl: number;
  readonly maxAcquisitions: number;
  /** Longest simulated work per hold, in ms (each hold works a random 0..workMs). */
  readonly workMs: number;
}

export interface ScenarioResult extends Verdict {
  readonly scenario: string;
  readonly processes: number;
  readonly faults: number;
  readonly availability: number;
  readonly acquireP99: number;
  /** Holds whose work outlived the validity, and of those, the ones whose signal was not aborted. */
  readonly stale: number;
  readonly staleUnaborted: number;
  readonly skippedWrites: number;
  readonly maxAbortLateness: number;
  readonly lost: number;
  /** Why the scenario did not run, when it could not here. */
  readonly skipped?: string;
}

const CONTENDER = fileURLToPath(new URL('./contender.js', import.meta.url));
const HANDOFF_CONTENDER = fileURLToPath(new URL('./handoff-contender.js', import.meta.url));
const CACHE_CONTENDER = fileURLToPath(new URL('./cache-contender.js', import.meta.url));
const LEASE_CONTENDER = fileURLToPath(new URL('./lease-contender.js', import.meta.url));

/** Runs one scenario on 5 fresh lock nodes (behind fault proxies) and a resource node. */
export async function runScenario(scenario: string, options: ScenarioOptions): Promise<ScenarioResult> {
  const nemesis = nemeses[scenario];
  if (nemesis === undefined) throw new RangeError(`unknown scenario ${scenario}`);
  if (CLOCKED.has(scenario) && !RedisServer.canFakeClock()) return skippedResult(scenario, options, 'libfaketime is not installed (apt-get install faketime)');
  const topology = TOPOLOGY_ROWS[scenario];
  // A topology row runs on one Cluster or Sentinel deployment instead of the 5 independent nodes.
  const deployment = topology === undefined ? undefined : await startTopology(topology.kind);
  const servers = deployment !== undefined ? [] : await startRedisServers(5, { appendOnly: PERSISTENT.has(scenario), fakeClock: CLOCKED.has(scenario) });
  const ttl = topology === undefined ? options.ttl : TOPOLOGY_TTL;
  const resourceServer = await startRedisServer();
  const proxies = await Promise.all(servers.map((s) => FaultProxy.start({ path: s.socket })));
  const admin = servers.map((s) => {
    const client = new Redis({ path: s.socket, maxRetriesPerRequest: 1, retryStrategy: () => 20 });
    client.on('error', () => undefined);
    return client;
  });
  const resource = new Redis({ path: resourceServer.socket });
  const name = `torture:${randomUUID()}`;
  try {
    const task = (proc: number): string =>
      JSON.stringify({
        proc,
        lockUrls: proxies.map((p) => `redis://127.0.0.1:${String(p.port)}`),
        resourceUrl: resourceServer.url,
        name,
        ttl,
        // Topology rows: holds that outlast a failover (about 2 s here), so the control shows what it costs.
        workMs: topology === undefined ? workFor(scenario, options) : Math.round(ttl * 0.9),
        workFloorMs: topology === undefined ? 0 : Math.round(ttl * 0.6),
        topology: deployment?.connection,
        waitReplicas: topology?.waitReplicas ?? 0,
        maxAcquisitions: Math.ceil(options.maxAcquisitions / options.processes),
        partitionable: PARTITIONABLE.has(scenario),
        mode: handoffMode(scenario),
        blind: scenario.startsWith('UNSAFE: '),
        kind: leaseKind(scenario) ?? 'semaphore',
        cacheTtl: LONG_HOLDS.has(scenario) ? options.ttl * 2.5 : 200,
      });
    const script = isCacheRow(scenario) ? CACHE_CONTENDER : leaseKind(scenario) !== undefined ? LEASE_CONTENDER : handoffMode(scenario) === undefined ? CONTENDER : HANDOFF_CONTENDER;
    const running = Array.from({ length: options.processes }, (_, proc) => runContender(script, task(proc)));
    const contenders = watchHolders(running.map((r) => r.child));
    const reports = Promise.all(running.map((r) => r.report));
    reports.catch(() => undefined); // awaited below; a contender that dies early must not go unhandled meanwhile
    await Promise.race([Promise.all(running.map((r) => r.ready)), reports]);
    const until = monotonicMs() + options.seconds * 1000;
    for (const { child } of running) child.send({ start: until } satisfies ContenderCommand);
    // Let the contenders connect before the first fault: a fault during connection set-up tests the client, not the lock.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const faults = await nemesis({ servers, proxies, admin, lockKey: name, ttl, until, contenders, deployment });
    for (const proxy of proxies) proxy.heal();
    for (const child of contenders.children) child.kill('SIGCONT'); // never leave a contender stopped
    const done = await reports;
    const holds = done.flatMap((r) => r.holds);
    const failed = done.reduce((sum, r) => sum + r.failedAcquires, 0);
    const sum = (pick: (r: ContenderReport) => number): number => done.reduce((total, r) => total + pick(r), 0);
    const latencies = done.flatMap((r) => r.acquireLatencies).sort((a, b) => a - b);
    const verdict = isCacheRow(scenario) ? cacheVerdict(done) : isSemaphoreRow(scenario) ? semaphoreVerdict(holds) : isRwRow(scenario) ? rwVerdict(holds) : isMultiRow(scenario) || isFairRow(scenario) ? overlapVerdict(holds) : check(holds, Number(await resource.get(`${name}:counter`)));
    return {
      scenario,
      processes: options.processes,
      faults,
      ...verdict,
      availability: verdict.acquisitions / Math.max(1, verdict.acquisitions + failed),
      acquireP99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? Number.NaN,
      stale: sum((r) => r.stale),
      staleUnaborted: sum((r) => r.staleUnaborted),
      skippedWrites: sum((r) => r.skippedWrites),
      maxAbortLateness: Math.max(0, ...done.map((r) => r.maxAbortLateness)),
      lost: sum((r) => r.lost),
    };
  } finally {
    for (const client of [...admin, resource]) client.disconnect();
    await Promise.all(proxies.map((p) => p.close()));
    await stopRedisServers([...servers, resourceServer]);
    await deployment?.stop();
  }
}

/** The cache rows (cache-contender.ts): gets count as acquisitions, stamp regressions as lost updates. */
function cacheVerdict(reports: readonly ContenderReport[]): Verdict {
  const sum = (pick: (c: NonNullable<ContenderReport['cache']>) => number): number => reports.reduce((total, r) => total + (r.cache === undefined ? 0 : pick(r.cache)), 0);
  return { acquisitions: sum((c) => c.gets) - reports.reduce((total, r) => total + r.failedAcquires, 0), overlaps: 0, lostUpdates: sum((c) => c.regressions), fenceOrderViolations: 0 };
}

/** The semaphore rows (lease-contender.ts): holders above the limit count as overlaps. */
function semaphoreVerdict(holds: readonly Hold[]): Verdict {
  return { acquisitions: holds.length, overlaps: overLimit(holds, SEMAPHORE_LIMIT), lostUpdates: 0, fenceOrderViolations: 0 };
}

/** The multi-lock and fair lock rows: holds of one name that intersect (see `nameOverlaps`). */
function overlapVerdict(holds: readonly Hold[]): Verdict {
  return { acquisitions: holds.length, overlaps: nameOverlaps(holds), lostUpdates: 0, fenceOrderViolations: 0 };
}

/** The read-write rows: holds that began beside a conflicting one count as overlaps. */
function rwVerdict(holds: readonly Hold[]): Verdict {
  return { acquisitions: holds.length, overlaps: rwConflicts(holds), lostUpdates: 0, fenceOrderViolations: 0 };
}

/**
 * Longest work per hold. Faults that must land inside a hold get holds of up to 40% of the ttl; a
 * partitioned holder works (renewing) for up to 1.5 ttl, so that a partition outlives its validity.
 */
function workFor(scenario: string, options: ScenarioOptions): number {
  if (PARTITIONABLE.has(scenario)) return Math.round(options.ttl * 1.5);
  return LONG_HOLDS.has(scenario) ? Math.max(options.workMs, Math.round(options.ttl * 0.4)) : options.workMs;
}

function skippedResult(scenario: string, options: ScenarioOptions, why: string): ScenarioResult {
  return {
    scenario,
    processes: options.processes,
    faults: 0,
    acquisitions: 0,
    overlaps: 0,
    lostUpdates: 0,
    fenceOrderViolations: 0,
    availability: Number.NaN,
    acquireP99: Number.NaN,
    stale: 0,
    staleUnaborted: 0,
    skippedWrites: 0,
    maxAbortLateness: 0,
    lost: 0,
    skipped: why,
  };
}

/** Tracks which contender processes hold the lock right now, from their IPC messages. */
function watchHolders(children: ChildProcess[]): Contenders {
  const holding = new Set<number>();
  children.forEach((child, proc) => {
    child.on('message', (status: ContenderStatus) => {
      if (!('holding' in status)) return;
      if (status.holding) holding.add(proc);
      else holding.delete(proc);
    });
  });
  return { children, holder: () => holding.values().next().value };
}

function runContender(script: string, task: string): { child: ChildProcess; ready: Promise<void>; report: Promise<ContenderReport> } {
  const child = fork(script, [task], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const ready = new Promise<void>((resolve) => {
    child.on('message', (status: ContenderStatus) => {
      if ('ready' in status) resolve();
    });
  });
  const report = new Promise<ContenderReport>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    // 'close', not 'exit': a report of some hundred KB may still be in the pipe when the process
    // exits (a full run crashed once parsing a cache contender's cut-off report).
    child.once('close', (code) => {
      if (code === 0) resolve(JSON.parse(output) as ContenderReport);
      else reject(new Error(`contender exited with code ${String(code)}`));
    });
  });
  return { child, ready, report };
}
