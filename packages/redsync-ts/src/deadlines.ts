/**
 * One timer for every pending deadline in the process. Each quorum round needs a cut-off for
 * nodes that do not answer; with many rounds in flight, a `setTimeout`/`clearTimeout` pair per
 * round cost a measurable share of throughput. Deadlines with the same duration expire in the
 * order they were scheduled, so each duration keeps a FIFO queue and a single timer is armed for
 * the earliest head.
 */

import { monotonicNow } from './validity.js';

/**
 * Something that can be given a deadline. The two `deadline*` fields belong to this module; a
 * quorum round implements this itself, so that arming its cut-off allocates nothing.
 */
export interface Deadline {
  /** When it falls due (set when armed). */
  deadlineAt: number;
  /** Its queue while pending; undefined before it is armed, once cancelled, and once it fired. */
  deadlineQueue: DeadlineQueue | undefined;
  /** Called once when it falls due; must not throw. */
  onDeadline(): void;
}

/** Opaque: the queue a pending deadline sits in. */
export type DeadlineQueue = Queue;

/**
 * The deadlines of one duration, in the order they fall due: slots `head..tail-1` of `items`.
 * An array with moving ends rather than a Set, and one that keeps its slots when it empties:
 * rounds mostly finish in the order they started, so cancelling usually advances the head, and
 * sequential locking (one round at a time) reuses slot 0 without allocating. Cancelled entries
 * further in wait until the head reaches them (they are marked by a cleared queue). Queues outlive
 * their deadlines, because dropping and recreating one per round cost more than the rest of
 * scheduling; an idle queue is dropped when the timer fires.
 */
interface Queue {
  readonly duration: number;
  readonly items: (Deadline | undefined)[];
  head: number;
  tail: number;
  live: number;
}

const queues = new Map<number, Queue>();
/** The queue used last: one duration per profile, so nearly every lookup hits it. */
let recent: Queue | undefined;
/** Live deadlines over every queue; the timer is ref'd exactly while this is above zero. */
let pending = 0;
let timer: NodeJS.Timeout | undefined;
let timerAt = Number.POSITIVE_INFINITY;

/** Calls `fire` once, `duration` ms from now, unless cancelled. `fire` must not throw. */
export function scheduleDeadline(duration: number, fire: () => void): Deadline {
  const deadline: Deadline = { deadlineAt: 0, deadlineQueue: undefined, onDeadline: fire };
  armDeadline(deadline, duration);
  return deadline;
}

/**
 * Arms `deadline` to fall due `duration` ms from now, or from `now` when the caller has just read
 * the clock (a clock read is a good part of what a lock costs the library). It must not be
 * pending already.
 */
export function armDeadline(deadline: Deadline, duration: number, now = monotonicNow()): void {
  const queue = queueFor(duration);
  const at = now + duration;
  deadline.deadlineAt = at;
  deadline.deadlineQueue = queue;
  queue.items[queue.tail] = deadline;
  queue.tail += 1;
  queue.live += 1;
  pending += 1;
  if (at < timerAt) arm(at);
  // Pending deadlines keep the process alive, as the work they bound would.
  else if (pending === 1) timer?.ref();
}

/**
 * Forgets a deadline. When none is left the timer stays armed but unref'd, so an idle process can
 * exit: clearing and re-arming it around every round cost a third of the library's own time on
 * sequential locking. If it fires with nothing due, it simply stops.
 */
export function cancelDeadline(deadline: Deadline): void {
  const queue = deadline.deadlineQueue;
  if (queue === undefined) return;
  deadline.deadlineQueue = undefined;
  queue.live -= 1;
  dropSpentHeads(queue);
  pending -= 1;
  if (pending === 0) timer?.unref();
}

function queueFor(duration: number): Queue {
  if (recent?.duration === duration) return recent;
  let queue = queues.get(duration);
  if (queue === undefined) {
    queue = { duration, items: [], head: 0, tail: 0, live: 0 };
    queues.set(duration, queue);
  }
  recent = queue;
  return queue;
}

/** Advances the head past cancelled entries, and compacts once the spent prefix dominates. */
function dropSpentHeads(queue: Queue): void {
  const { items } = queue;
  while (queue.head < queue.tail && items[queue.head]?.deadlineQueue === undefined) {
    items[queue.head] = undefined;
    queue.head += 1;
  }
  if (queue.head === queue.tail) {
    queue.head = 0;
    queue.tail = 0;
  } else if (queue.head > 1024 && queue.head * 2 > queue.tail) {
    items.copyWithin(0, queue.head, queue.tail);
    items.fill(undefined, queue.tail - queue.head, queue.tail);
    queue.tail -= queue.head;
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
  const due: Deadline[] = [];
  for (const queue of [...queues.values()]) {
    for (let deadline = queue.items[queue.head]; queue.head < queue.tail && deadline !== undefined; deadline = queue.items[queue.head]) {
      if (deadline.deadlineAt > now) {
        next = Math.min(next, deadline.deadlineAt);
        break;
      }
      // Spent before firing, so that a cancel from inside `onDeadline` is a no-op.
      cancelDeadline(deadline);
      due.push(deadline);
    }
    if (queue.live === 0) forget(queue);
  }
  // Earliest first across durations too: after the loop was blocked past several of them, the
  // queues' order would otherwise decide (seen as a flaky unit test on a loaded machine).
  if (due.length > 1) due.sort((a, b) => a.deadlineAt - b.deadlineAt);
  for (const deadline of due) deadline.onDeadline();
  // A deadline scheduled from `onDeadline` may have armed the timer for earlier already.
  if (next < timerAt) arm(next);
}

/** Drops an empty queue, so that a process cycling through many durations does not keep them all. */
function forget(queue: Queue): void {
  queues.delete(queue.duration);
  if (recent === queue) recent = undefined;
}
