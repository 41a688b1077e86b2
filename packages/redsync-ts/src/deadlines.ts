/**
 * One timer for every pending deadline in the process. Each quorum round needs a cut-off for
 * nodes that do not answer; with many rounds in flight, a `setTimeout`/`clearTimeout` pair per
 * round cost a measurable share of throughput. Deadlines with the same duration expire in the
 * order they were scheduled, so each duration keeps a FIFO queue and a single timer is armed for
 * the earliest head.
 */

import { monotonicNow } from './validity.js';

/** A scheduled deadline; pass it to {@link cancelDeadline} when the work finished first. */
export interface Deadline {
  readonly at: number;
  /** Cleared when the deadline is cancelled or has fired. */
  fire: (() => void) | undefined;
  readonly queue: Queue;
}

/**
 * The deadlines of one duration, in the order they fall due. An array with a moving head rather
 * than a Set: rounds mostly finish in the order they started, so cancelling usually pops the head,
 * and no per-round hash entry is made. Cancelled entries further in wait until the head reaches
 * them (they hold no callback meanwhile).
 */
interface Queue {
  readonly duration: number;
  items: (Deadline | undefined)[];
  head: number;
  live: number;
}

const queues = new Map<number, Queue>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Number.POSITIVE_INFINITY;

/** Calls `fire` once, `duration` ms from now, unless cancelled. `fire` must not throw. */
export function scheduleDeadline(duration: number, fire: () => void): Deadline {
  let queue = queues.get(duration);
  if (queue === undefined) {
    queue = { duration, items: [], head: 0, live: 0 };
    queues.set(duration, queue);
  }
  const deadline: Deadline = { at: monotonicNow() + duration, fire, queue };
  queue.items.push(deadline);
  queue.live += 1;
  // Pending deadlines keep the process alive, as the work they bound would.
  if (deadline.at < timerAt) arm(deadline.at);
  else if (timer !== undefined && !timer.hasRef()) timer.ref();
  return deadline;
}

/**
 * Forgets a deadline. When none is left the timer stays armed but unref'd, so an idle process can
 * exit: clearing and re-arming it around every round cost a third of the library's own time on
 * sequential locking. If it fires with nothing due, it simply stops.
 */
export function cancelDeadline(deadline: Deadline): void {
  if (deadline.fire === undefined) return;
  deadline.fire = undefined;
  const { queue } = deadline;
  queue.live -= 1;
  dropSpentHeads(queue);
  if (queue.live > 0) return;
  queues.delete(queue.duration);
  if (queues.size === 0) timer?.unref();
}

/** Advances the head past cancelled entries, and compacts once the spent prefix dominates. */
function dropSpentHeads(queue: Queue): void {
  const { items } = queue;
  while (queue.head < items.length && items[queue.head]?.fire === undefined) {
    items[queue.head] = undefined;
    queue.head += 1;
  }
  if (queue.head === items.length) {
    items.length = 0;
    queue.head = 0;
  } else if (queue.head > 1024 && queue.head * 2 > items.length) {
    queue.items = items.slice(queue.head);
    queue.head = 0;
  }
}

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(expire, Math.max(0, at - monotonicNow()));
}

function expire(): void {
  timer = undefined;
  timerAt = Number.POSITIVE_INFINITY;
  const now = monotonicNow();
  let next = Number.POSITIVE_INFINITY;
  for (const queue of [...queues.values()]) {
    for (let deadline = queue.items[queue.head]; deadline !== undefined; deadline = queue.items[queue.head]) {
      if (deadline.at > now) {
        next = Math.min(next, deadline.at);
        break;
      }
      const { fire } = deadline;
      // Spent before firing, so that a cancel from inside `fire` is a no-op.
      cancelDeadline(deadline);
      fire?.();
    }
  }
  if (next !== Number.POSITIVE_INFINITY) arm(next);
}
