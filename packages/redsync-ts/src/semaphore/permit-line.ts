import { POLL_MS, type ChannelFeed } from '../channel-feed.js';
import { ChannelLine, ChannelLines } from '../channel-line.js';
import type { RedisNode } from '../node.js';

/** Release tags remembered per line, to count a release heard from several nodes once. */
const RECENT_TAGS = 64;

/**
 * The waiters of one semaphore in this process, in arrival order. It listens on every node's
 * `<key>:released` channel and wakes one waiter per release (the first one waiting), not all of
 * them: waking every waiter, or as many as the node said were free, made 3 to 4 attempts per
 * permit with 20 contenders in the bench, most of them failing. A wake that finds nobody waiting
 * (they are all mid-attempt) is kept for the next one to wait, so no release is lost between an
 * attempt that failed and the wait that follows it.
 */
export class PermitLine extends ChannelLine {
  readonly #tickets: Ticket[] = [];
  readonly #recent = new Set<string>();
  readonly #wakeAll: boolean;

  /** `wakeAll`: a release wakes every waiter (a read-write lock: one writer out lets all readers in). */
  constructor(feeds: readonly ChannelFeed[], key: string, onEmpty: () => void, wakeAll = false) {
    super(feeds, key, onEmpty);
    this.#wakeAll = wakeAll;
  }

  /**
   * Joins the line. Its subscription starts with the first ticket and is not awaited: a wait that
   * begins before it is confirmed is bounded by its own timer (the earliest lease end, at most
   * POLL_MS while the line is not live), and the confirmation wakes every ticket once (a release
   * since their last attempt went unheard). A subscription that stalls (a reset while SUBSCRIBE
   * was in flight) thus slows waiters down but never holds them past their timeout.
   */
  join(): Ticket {
    const ticket = new Ticket(this);
    this.#tickets.push(ticket);
    this.listen();
    return ticket;
  }

  /** True while someone of this process waits in the line. */
  get busy(): boolean {
    return this.#tickets.length > 0;
  }

  /** @internal A ticket leaves; a wake it did not use goes to the next waiter. */
  leave(ticket: Ticket, unusedWake: boolean): void {
    const at = this.#tickets.indexOf(ticket);
    if (at !== -1) this.#tickets.splice(at, 1);
    if (unusedWake) this.#wake(1);
    if (this.#tickets.length === 0) this.closeLine();
  }

  protected heard(message: string): void {
    // Wake-all lines skip the deduplication: a writer's id (and so its tag) is the same in its
    // failed attempts' clean-ups and in its release, and a release heard as a repeat was lost.
    if (this.#wakeAll) this.#wake(this.#tickets.length);
    else if (this.#firstHeard(message)) this.#wake(1);
  }

  protected lookAll(): void {
    this.#wake(this.#tickets.length);
  }

  /** False for a release already heard from another node. */
  #firstHeard(tag: string): boolean {
    if (this.#recent.has(tag)) return false;
    this.#recent.add(tag);
    if (this.#recent.size > RECENT_TAGS) this.#recent.delete(this.#recent.values().next().value as string);
    return true;
  }

  /** Wakes the first `count` tickets not woken yet (one mid-attempt keeps it for its next wait). */
  #wake(count: number): void {
    let left = count;
    for (const ticket of this.#tickets) {
      if (left === 0) return;
      if (ticket.wake()) left -= 1;
    }
  }
}

/** One waiter's place in a {@link PermitLine}. */
export class Ticket {
  readonly #line: PermitLine;
  #resolve: (() => void) | undefined;
  /** Woken (now, or while it was attempting), and no attempt since. */
  #woken = false;

  constructor(line: PermitLine) {
    this.#line = line;
  }

  /** Called before each attempt: a wake (if any) is being used. */
  attempting(): void {
    this.#woken = false;
  }

  /**
   * Waits until woken, `ms` passed (at most {@link POLL_MS} while the line is not live), or
   * `signal` aborted; at once when a wake came meanwhile.
   */
  wait(ms: number, signal: AbortSignal | undefined): Promise<void> {
    // An abort before the wait began fired its event already: nobody would hear it.
    if (signal?.aborted === true || this.#woken) return Promise.resolve();
    const wait = this.#line.live ? ms : Math.min(ms, POLL_MS);
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        this.#resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.ceil(wait)));
      signal?.addEventListener('abort', done, { once: true });
      this.#resolve = done;
    });
  }

  /** @internal Wakes this ticket (or marks it, mid-attempt); false when it was woken already. */
  wake(): boolean {
    if (this.#woken) return false;
    this.#woken = true;
    this.#resolve?.();
    return true;
  }

  /** Leaves the line (got a permit, gave up, or failed). */
  leave(): void {
    this.#line.leave(this, this.#woken);
  }
}

/** A Redsync's permit lines, one per semaphore (or read-write lock) key with waiters in this process. */
export class PermitLines {
  readonly #lines: ChannelLines<PermitLine>;

  constructor(nodes: readonly RedisNode[]) {
    this.#lines = new ChannelLines(nodes, ':released');
  }

  /** The line of `key`, made when it has none (see {@link PermitLine} for `wakeAll`). */
  lineFor(key: string, wakeAll = false): PermitLine {
    return this.#lines.lineFor(key, (feeds, onEmpty) => new PermitLine(feeds, key, onEmpty, wakeAll));
  }

  /** Closes the subscriber connections; waiters then look again (and fail if the nodes are gone). */
  close(): Promise<void> {
    return this.#lines.close();
  }
}
