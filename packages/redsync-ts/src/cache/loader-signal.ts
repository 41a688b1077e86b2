/** The signal a fill hands its loader: see {@link loaderSignal}. */
import { LockReleasedError } from '../errors.js';
import type { Lock } from '../lock.js';

/** A loader's signal, and how its fill tells it that the loader is done and the lock released. */
export interface LoaderSignal {
  readonly signal: AbortSignal;
  /** The loader returned or threw: no timeout, no loss to report any more. */
  done(): void;
  /** The fill lock is being released: work the loader left running can stop. */
  released(): void;
}

/**
 * The loader's signal: aborts with the fill lock's `LockLostError` when it is lost while the
 * loader runs, with a `TimeoutError` after `ms`, and with a `LockReleasedError` once the fill is
 * over. One controller, the lock's loss callback and a timer: `AbortSignal.any([lock.signal,
 * AbortSignal.timeout(ms)])` cost the winner 0.31-0.54 ms of CPU from the lock's reply to its
 * loader's start, this 0.17-0.34 ms (cold bursts of bench:cache's harness, 3-4 each); reading
 * `lock.signal` at all cost each fill 20-30 µs more CPU (see `Lock.watchLoss`).
 */
export function loaderSignal(lock: Lock, ms: number): LoaderSignal {
  const controller = new AbortController();
  const stopWatching = lock.watchLoss((error) => controller.abort(error));
  const timer = setTimeout(() => controller.abort(new DOMException(`the fill took longer than fillTimeout (${String(ms)} ms were left)`, 'TimeoutError')), ms);
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      stopWatching();
    },
    released: () => controller.abort(new LockReleasedError()),
  };
}
