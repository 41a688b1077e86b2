/** What a waiter of a channel feed hears, and its queue of undelivered messages (channel-feed.ts). */

/** How often a waiter looks again while no subscription is confirmed. */
export const POLL_MS = 100;

/**
 * What a waiter hears: a message from the channel, `''` (look again: a feed came back and may
 * have missed a message), or `'timeout'`.
 */
export type Arrival = string;

/** One waiter's messages for one key, from the moment its subscription was confirmed. */
export interface Arrivals {
  /** The next message, or `'timeout'` after `ms` (shorter while the subscription is down). */
  next(ms: number): Promise<Arrival>;
  /** Stops listening; the subscription lingers for the next waiter. */
  close(): void;
  /** False while the subscription is down (messages are being missed): waiters should poll. */
  readonly live: boolean;
}

/** A waiter's undelivered messages, and how to wake it while it waits. */
export type Queue = Arrival[] & { wake?: (() => void) | undefined };

/** The next message of `queue`, or `'timeout'` after `ms` (at most {@link POLL_MS} while not `live`). */
export function nextArrival(live: boolean, queue: Queue, ms: number): Promise<Arrival> {
  const queued = queue.shift();
  if (queued !== undefined) return Promise.resolve(queued);
  const wait = live ? ms : Math.min(ms, POLL_MS);
  return new Promise((resolve) => {
    const timer = setTimeout(() => done('timeout'), Math.max(0, wait));
    const done = (arrival: Arrival): void => {
      clearTimeout(timer);
      queue.wake = undefined;
      resolve(arrival);
    };
    queue.wake = () => done(queue.shift() ?? '');
  });
}

/** Queues `message` for its waiter, waking it if it waits. */
export function pushArrival(queue: Queue, message: Arrival): void {
  queue.push(message);
  queue.wake?.();
}
