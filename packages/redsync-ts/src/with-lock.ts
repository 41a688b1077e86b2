import type { AcquireOptions } from './acquire-call.js';
import { LockLostError } from './errors.js';
import type { Lock } from './lock.js';
import type { Mutex } from './mutex.js';
import type { MutexOptions } from './options.js';
import { checkDelay, checkFunction, checkOptionsObject, checkSignal } from './validate.js';

/** Options of `withLock`: the mutex options, plus these per-call ones. */
export interface WithLockOptions extends MutexOptions {
  /**
   * Cancels the wait for the lock, and is combined with the lock's own signal for the function.
   * @default undefined
   */
  readonly signal?: AbortSignal;
  /**
   * Gives up waiting for the lock after this many ms (see `acquire({ timeout })`).
   * @default undefined (bounded by `tries` only)
   */
  readonly timeout?: number;
  /**
   * Called when the release at the end cannot reach enough nodes (the key then expires by its
   * ttl). It never replaces the function's own result or error.
   * @default a process warning with code `REDSYNC_RELEASE_FAILED`
   */
  readonly onReleaseError?: (error: unknown, lock: Lock) => void;
}

/** The work `withLock` runs: gets a signal that aborts when the lock is lost (or `signal` aborts). */
export type LockedWork<T> = (signal: AbortSignal, lock: Lock) => T | Promise<T>;

/** Splits `withLock` options into mutex options and per-call ones, validating the latter. */
export function splitWithLockOptions(options: WithLockOptions | undefined): {
  mutexOptions: MutexOptions | undefined;
  acquire: AcquireOptions;
  onReleaseError: (error: unknown, lock: Lock) => void;
} {
  if (options === undefined) return { mutexOptions: undefined, acquire: RENEWING, onReleaseError: warnReleaseFailed };
  checkOptionsObject('options', options, Object.keys(options)); // a plain object; keys checked by the mutex
  const { signal, timeout, onReleaseError, ...mutexOptions } = options;
  const checkedSignal = checkSignal('options.signal', signal);
  const checkedTimeout = timeout === undefined ? undefined : checkDelay('options.timeout', timeout);
  return {
    mutexOptions,
    acquire: {
      autoExtend: true,
      ...(checkedSignal === undefined ? {} : { signal: checkedSignal }),
      ...(checkedTimeout === undefined ? {} : { timeout: checkedTimeout }),
    },
    onReleaseError: onReleaseError === undefined ? warnReleaseFailed : (checkFunction('options.onReleaseError', onReleaseError) as (e: unknown, l: Lock) => void),
  };
}

const RENEWING: AcquireOptions = Object.freeze({ autoExtend: true });

/**
 * Acquires `mutex` with renewal on, runs `work`, releases in all cases, and returns the work's
 * result. The work's own error is what the caller sees. If the lock was lost while the work ran
 * and the work still finished, the `LockLostError` is thrown instead of the result: the work ran
 * partly without the lock, and the caller must decide what that means.
 */
export async function runLocked<T>(
  mutex: Mutex,
  work: LockedWork<T>,
  acquire: AcquireOptions,
  onReleaseError: (error: unknown, lock: Lock) => void,
): Promise<T> {
  const { signal } = acquire;
  const lock = await mutex.acquire(acquire);
  const lockSignal = lock.signal;
  const workSignal = signal === undefined ? lockSignal : AbortSignal.any([lockSignal, signal]);
  let result: { ok: true; value: T } | { ok: false; error: unknown };
  try {
    result = { ok: true, value: await work(workSignal, lock) };
  } catch (error) {
    result = { ok: false, error };
  }
  // Read before release, which aborts the signal with its own (benign) reason.
  const lostWhileWorking: unknown = lockSignal.aborted ? lockSignal.reason : undefined;
  try {
    await lock.release();
  } catch (error) {
    report(onReleaseError, error, lock);
  }
  // The work's own error, as it threw it (not necessarily an Error).
  if (!result.ok) throw result.error;
  if (lostWhileWorking instanceof LockLostError) throw lostWhileWorking;
  return result.value;
}

/** Calls the hook; a hook that throws is turned into a warning rather than a rejection. */
function report(hook: (error: unknown, lock: Lock) => void, error: unknown, lock: Lock): void {
  try {
    hook(error, lock);
  } catch (hookError) {
    warnReleaseFailed(hookError, lock);
  }
}

function warnReleaseFailed(error: unknown, lock: Lock): void {
  process.emitWarning(`lock "${lock.name}" could not be released: ${String(error)}`, { code: 'REDSYNC_RELEASE_FAILED' });
}
