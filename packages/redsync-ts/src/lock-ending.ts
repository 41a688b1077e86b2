import { LockReleasedError, type LockLostError } from './errors.js';

/**
 * How a lock tells others that it ended: its public `signal`, an AbortController made on first
 * read (locks nobody watches cost none), and internal layers' loss callbacks (`Lock.watchLoss`),
 * which cost no controller and nothing at the release. When to tell is the lock's business.
 */
export class LockEnding {
  #controller: AbortController | undefined;
  #onLoss: Set<(error: LockLostError) => void> | undefined;

  /** True once the signal was made (someone read `lock.signal`). */
  get made(): boolean {
    return this.#controller !== undefined;
  }

  /** The signal, made on first call; aborted at once with `ended` when the hold is already over. */
  signal(ended?: Error): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (ended !== undefined) this.#controller.abort(ended);
    }
    return this.#controller.signal;
  }

  /** Adds a loss callback; returns what removes it. */
  watch(onLoss: (error: LockLostError) => void): () => void {
    (this.#onLoss ??= new Set()).add(onLoss);
    return () => void this.#onLoss?.delete(onLoss);
  }

  /** The lock was lost: the signal aborts with `error`, and every callback hears it once. */
  lost(error: LockLostError): void {
    this.#controller?.abort(error);
    for (const onLoss of this.#onLoss ?? []) onLoss(error);
    this.#onLoss = undefined;
  }

  /** The holder releases it: the signal (if made) aborts with a `LockReleasedError`. */
  released(): void {
    this.#controller?.abort(new LockReleasedError());
  }
}
