/**
 * `redsync run`: a command under a lock, like flock(1) across machines. The lock renews while the
 * command runs; if it is lost, the command gets SIGTERM at once and SIGKILL after `--kill-after`,
 * and `redsync` exits with {@link EXIT_LOST}. Signals sent to `redsync` reach the command, and the
 * lock is released when it exits, however it exits.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { Redis } from 'ioredis';
import { Redsync, fromIoredis, isLockError, type Lock, type RedisNode } from 'redsync-ts';
import { connectAll } from '../connect.js';
import type { RunArgs } from './args.js';

/** The lock was lost while the command ran (EX_TEMPFAIL: try again). */
export const EXIT_LOST = 75;
/** No quorum of nodes could be reached, or they refused us (EX_UNAVAILABLE). */
export const EXIT_UNAVAILABLE = 69;
/** The command could not be started (the shell's "command not found"). */
export const EXIT_NOT_FOUND = 127;

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/** Runs the command under the lock; resolves with the exit status for `redsync`. */
export async function runLocked(args: RunArgs, say: (line: string) => void): Promise<number> {
  let clients: Redis[];
  try {
    clients = await connectAll(args.urls);
  } catch (error) {
    say(`redsync: ${(error as Error).message}`);
    return EXIT_UNAVAILABLE;
  }
  const nodes = clients.map((c) => fromIoredis(c));
  const rs = new Redsync(nodes, { prefix: args.prefix, onEvictingNode: 'warn' });
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => stop.abort(signal);
  for (const signal of FORWARDED) process.on(signal, onSignal);
  try {
    const lock = await take(rs, args, stop.signal, say);
    if (typeof lock === 'number') return lock;
    try {
      if (args.oncePerMs !== undefined && !(await firstThisPeriod(nodes, rs.quorum, args.oncePerMs, lock))) {
        if (args.verbose) say(`redsync: "${args.name}" already ran within the last ${String(args.oncePerMs / 1000)} s; not running it again`);
        return 0;
      }
      return await supervise(args, lock, say);
    } finally {
      await lock.release().catch(() => undefined); // its ttl ends it anyway
    }
  } finally {
    for (const signal of FORWARDED) process.off(signal, onSignal);
    await rs.close();
    // QUIT, not a hard disconnect: a release settles at its quorum, and the last node's
    // compare-and-delete must still reach it before redsync exits.
    await Promise.all(clients.map((client) => client.quit().catch(() => client.disconnect())));
  }
}

/** The lock, or the exit status when it could not be had. */
async function take(rs: Redsync, args: RunArgs, signal: AbortSignal, say: (line: string) => void): Promise<Lock | number> {
  const started = performance.now();
  const mutex = rs.mutex(args.name, { ttl: args.ttlMs, maxHold: args.maxHoldMs, fencing: args.fencing, tries: Number.POSITIVE_INFINITY });
  try {
    const lock = args.waitMs === 0 ? await mutex.tryAcquire({ signal, autoExtend: true }) : await mutex.acquire({ signal, autoExtend: true, ...(args.waitMs === undefined ? {} : { timeout: args.waitMs }) });
    if (lock === null) {
      if (args.verbose) say(`redsync: "${args.name}" is held elsewhere`);
      return args.conflictExitCode;
    }
    if (args.verbose) say(`redsync: took "${args.name}" in ${(performance.now() - started).toFixed(0)} ms`);
    return lock;
  } catch (error) {
    if (signal.aborted) return 128 + signalNumber(signal.reason as NodeJS.Signals);
    if (isLockError(error, 'LOCK_TAKEN') || (isLockError(error, 'LOCK_NOT_ACQUIRED') && (error as { timedOut?: boolean }).timedOut === true)) {
      if (args.verbose) say(`redsync: gave up on "${args.name}": ${(error as Error).message}`);
      return args.conflictExitCode;
    }
    say(`redsync: could not take "${args.name}": ${(error as Error).message}`);
    return EXIT_UNAVAILABLE;
  }
}

/**
 * `--once-per`: records this run for the period on every node (SET NX with the period as ttl) and
 * says whether this replica is the first in it: a quorum of nodes had no record yet.
 */
async function firstThisPeriod(nodes: readonly RedisNode[], quorum: number, periodMs: number, lock: Lock): Promise<boolean> {
  const record = `${lock.key}:ran`;
  const set = await Promise.allSettled(nodes.map((node) => node.setNX(record, String(Date.now()), periodMs)));
  return set.filter((r) => r.status === 'fulfilled' && r.value === 'OK').length >= quorum;
}

/** Runs the command while the lock holds; its exit status, or EXIT_LOST. */
function supervise(args: RunArgs, lock: Lock, say: (line: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const env = { ...process.env, REDSYNC_LOCK_NAME: args.name, REDSYNC_LOCK_KEY: lock.key, ...(lock.fence === undefined ? {} : { REDSYNC_FENCE: String(lock.fence) }) };
    const child = spawn(args.command, [...args.args], { stdio: 'inherit', env });
    let lost = false;
    let killer: NodeJS.Timeout | undefined;
    const onLost = (): void => {
      lost = true;
      say(`redsync: lost "${args.name}" (${String((lock.signal.reason as Error | undefined)?.message)}); sending SIGTERM to the command`);
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), args.killAfterMs);
    };
    const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
    lock.signal.addEventListener('abort', onLost, { once: true });
    for (const signal of FORWARDED) process.on(signal, forward);
    const done = (status: number): void => {
      clearTimeout(killer);
      lock.signal.removeEventListener('abort', onLost);
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(status);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      say(`redsync: cannot run ${JSON.stringify(args.command)}: ${error.code ?? error.message}`);
      done(EXIT_NOT_FOUND);
    });
    child.once('exit', (code, signal) => done(lost ? EXIT_LOST : signal !== null ? 128 + signalNumber(signal) : (code ?? 0)));
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return constants.signals[signal];
}
