/** A hand-driven clock and timer queue for unit tests of the lease keeper. */
import type { KeeperClock } from '../../src/lease-keeper.js';

interface Timer {
  at: number;
  fire: () => void;
}

export class FakeClock implements KeeperClock {
  #now = 1_000_000;
  readonly #timers = new Set<Timer>();

  now(): number {
    return this.#now;
  }

  setTimer(fire: () => void, ms: number): unknown {
    const timer = { at: this.#now + ms, fire };
    this.#timers.add(timer);
    return timer;
  }

  clearTimer(handle: unknown): void {
    this.#timers.delete(handle as Timer);
  }

  /** Timers currently armed. */
  get pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward, firing due timers in order and letting promise reactions run after each. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const next = [...this.#timers].filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.#timers.delete(next);
      this.#now = Math.max(this.#now, next.at);
      next.fire();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets every pending promise reaction run (several rounds of the microtask and immediate queues). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}
