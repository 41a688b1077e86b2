/**
 * The oversell demo: several worker processes sell from one stock record, first without a lock
 * (and oversell), then under a Redlock over five nodes (and do not), with one node killed midway.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { startRedisServers, stopRedisServers, type RedisServer } from 'redsync-ts/testing';
import { connectAll } from '../connect.js';
import type { WorkerReport, WorkerTask } from './protocol.js';
import { runCacheScene } from './cache-scene.js';
import { printTable, summarise, type PhaseResult } from './report.js';

export interface DemoOptions {
  /** Lock servers to use instead of temporary ones (the first one also holds the stock record). */
  readonly redis: readonly string[];
  readonly workers: number;
  readonly stock: number;
  readonly latencyMs: number;
  /** Skip the table (the caller prints JSON). */
  readonly json: boolean;
  readonly out: (line: string) => void;
}

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
/** Called once per worker that has connected (the phase in progress listens). */
const readyListeners = new Set<() => void>();
/** Every worker process still running, so Ctrl-C can stop them before the servers go. */
const workers = new Set<ChildProcess>();

export async function runDemo(options: DemoOptions): Promise<PhaseResult[]> {
  const owned: RedisServer[] = [];
  const stopOwned = (): Promise<void> => stopRedisServers(owned.splice(0));
  const onSignal = (): void => {
    for (const child of workers) child.kill('SIGKILL');
    void stopOwned().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    let lockUrls = options.redis;
    let stockUrl = options.redis[0];
    if (lockUrls.length === 0) {
      options.out('starting 5 temporary redis-server processes for the lock and 1 for the stock record ...');
      owned.push(...(await startRedisServers(6)));
      lockUrls = owned.slice(0, 5).map((s) => s.url);
      stockUrl = owned[5]?.url;
    }
    if (stockUrl === undefined) throw new Error('no Redis server for the stock record');
    const killable = owned.length > 0 ? owned[2] : undefined;
    const results = [
      await runPhase('no lock', 'unlocked', lockUrls, stockUrl, options, undefined),
      await runPhase(`Redlock over ${lockUrls.length} node(s)`, 'redlock', lockUrls, stockUrl, options, killable),
    ];
    if (!options.json) {
      printTable(results, options);
      await runCacheScene(lockUrls, stockUrl, options.out);
    }
    return results;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    await stopOwned();
  }
}

async function runPhase(
  label: string,
  mode: WorkerTask['mode'],
  lockUrls: readonly string[],
  stockUrl: string,
  options: DemoOptions,
  killMidway: RedisServer | undefined,
): Promise<PhaseResult> {
  const [stock] = await connectAll([stockUrl]);
  if (stock === undefined) throw new Error('no stock connection');
  const task: WorkerTask = {
    mode,
    lockUrls,
    stockUrl,
    stockKey: `redsync-demo:stock:${randomUUID()}`,
    lockName: `redsync-demo:lock:${randomUUID()}`,
    latencyMs: options.latencyMs,
  };
  const children: ChildProcess[] = [];
  let killed = false;
  try {
    await stock.set(task.stockKey, String(options.stock), 'EX', 3600);
    options.out(`${label}: ${options.workers} worker processes selling ${options.stock} units ...`);
    const started = performance.now();
    let ready = 0;
    const allReady = new Promise<void>((resolve) => {
      const onReady = (): void => {
        ready += 1;
        if (ready === options.workers) resolve();
      };
      readyListeners.add(onReady);
    });
    const reports = Promise.all(Array.from({ length: options.workers }, () => runWorker(task, children)));
    if (killMidway !== undefined) {
      await Promise.race([allReady, reports]);
      // Watch the stock and crash one lock node once half of it is sold.
      let left = options.stock;
      while (left > options.stock / 2 && children.every((c) => c.exitCode === null)) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        left = Number(await stock.get(task.stockKey));
      }
      await killMidway.kill();
      killed = true;
      options.out(`  killed lock node #2 (SIGKILL) at half stock; the other 4 keep the quorum`);
    }
    const done = await reports;
    const elapsed = performance.now() - started;
    return summarise(label, done, elapsed, options.stock, killed);
  } finally {
    readyListeners.clear();
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    await stock.del(task.stockKey).catch(() => undefined);
    stock.disconnect();
    if (killed) await killMidway?.restart();
  }
}

function runWorker(task: WorkerTask, children: ChildProcess[]): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    const child = fork(WORKER, [JSON.stringify(task)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    workers.add(child);
    child.once('exit', () => workers.delete(child));
    let report: WorkerReport | undefined;
    child.on('message', (message: WorkerReport | { ready: true }) => {
      if ('ready' in message) for (const listener of readyListeners) listener();
      else report = message;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (report !== undefined) resolve(report);
      else reject(new Error(`demo worker exited with code ${String(code)} before reporting`));
    });
  });
}
