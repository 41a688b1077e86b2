/** The clock, mocked timers and wait recorder the WaitLine unit tests share. */
import { mock } from 'node:test';
import type { TimedRound } from '../../src/lock-ops.js';
import type { HandoffOffer, Turn, Wake } from '../../src/wait-line.js';

export const LONG = 60_000;

/** The line's clock, moved with the mocked timers. */
export const time = { now: 0 };
export const clock = (): number => time.now;

/** Starts the clock at 0 with mocked timers (call in beforeEach; `mock.timers.reset()` after). */
export function startClock(): void {
  time.now = 0;
  mock.timers.enable({ apis: ['setTimeout'] });
}

export function tick(ms: number): void {
  time.now += ms;
  mock.timers.tick(ms);
}

/** A lost attempt that read the holder's PTTL. */
export const lostTo = (holderTtl: number): TimedRound => ({ holderTtl, start: 0, validUntil: 0, round: {} as TimedRound['round'] });

/** Starts a wait and records how it settled. */
export function watch(turn: Turn, options: { signal?: AbortSignal; poll?: number; until?: number; offer?: HandoffOffer } = {}): { woke: () => Wake | Error | undefined; done: Promise<unknown> } {
  let woke: Wake | Error | undefined;
  const request = { clock, poll: options.poll ?? LONG, until: options.until ?? time.now + 10 * LONG, signal: options.signal, offer: options.offer };
  const done = turn.wait(request).then(
    (w) => (woke = w),
    (error: unknown) => (woke = error as Error),
  );
  return { woke: () => woke, done };
}
