/**
 * One timer for every pending deadline in the process. Each quorum round needs a cut-off for
 * nodes that do not answer; with many rounds in flight, a `setTimeout`/`clearTimeout` pair per
 * round cost a measurable share of throughput. Deadlines with the same duration expire in the
 * order they were scheduled, so each duration keeps a FIFO queue and a single timer is armed for
 * the earliest head.
 */

/** A scheduled deadline; pass it to {@link cancelDeadline} when the work finished first. */
export interface Deadline {
  readonly at: number;
  readonly fire: () => void;
  readonly queue: Set<Deadline>;
  readonly duration: number;
}

/** Insertion-ordered sets: each is sorted by `at` because all its entries share one duration. */
const queues = new Map<number, Set<Deadline>>();
let timer: NodeJS.Timeout | undefined;
let timerAt = Number.POSITIVE_INFINITY;

/** Calls `fire` once, `duration` ms from now, unless cancelled. `fire` must not throw. */
export function scheduleDeadline(duration: number, fire: () => void): Deadline {
  let queue = queues.get(duration);
  if (queue === undefined) {
    queue = new Set();
    queues.set(duration, queue);
  }
  const deadline: Deadline = { at: performance.now() + duration, fire, queue, duration };
  queue.add(deadline);
  // Pending deadlines keep the process alive, as the work they bound would.
  if (deadline.at < timerAt) arm(deadline.at);
  else timer?.ref();
  return deadline;
}

/**
 * Forgets a deadline. When none is left the timer stays armed but unref'd, so an idle process can
 * exit: clearing and re-arming it around every round cost a third of the library's own time on
 * sequential locking. If it fires with nothing due, it simply stops.
 */
export function cancelDeadline(deadline: Deadline): void {
  const { queue } = deadline;
  if (!queue.delete(deadline) || queue.size > 0) return;
  queues.delete(deadline.duration);
  if (queues.size === 0) timer?.unref();
}

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  timerAt = at;
  timer = setTimeout(expire, Math.max(0, at - performance.now()));
}

function expire(): void {
  timer = undefined;
  timerAt = Number.POSITIVE_INFINITY;
  const now = performance.now();
  let next = Number.POSITIVE_INFINITY;
  for (const [duration, queue] of queues) {
    for (const deadline of queue) {
      if (deadline.at > now) {
        next = Math.min(next, deadline.at);
        break;
      }
      queue.delete(deadline);
      deadline.fire();
    }
    if (queue.size === 0) queues.delete(duration);
  }
  if (next !== Number.POSITIVE_INFINITY) arm(next);
}
