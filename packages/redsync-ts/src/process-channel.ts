/**
 * This process's own channel on one node (see {@link ProcessChannel}), and the tickets of the
 * waiters registered on it.
 */
import { randomUUID } from 'node:crypto';
import { nextArrival, pushArrival, type Arrivals, type Queue } from './arrival-queue.js';

/**
 * A waiter registered on this process's own channel (see `ChannelFeed.ticket`): the server
 * publishes `<id> <message>` there for it, once.
 */
export interface Ticket extends Arrivals {
  readonly id: number;
  /** The process's own channel. */
  readonly channel: string;
  /** True while the channel has stayed subscribed since the ticket was issued: nothing was missed. */
  unbroken(): boolean;
}

/**
 * One channel per process and node, of a random name (no other process publishes there),
 * subscribed once: a script tells a registered waiter on it (scripts/tell-waiters.ts), so waiters
 * need no subscription per key. A break (the connection dropped, or closed) breaks every ticket
 * issued before it: what was published meanwhile is lost.
 */
export class ProcessChannel {
  readonly name = `redsync-ts:waiters:${randomUUID()}`;
  #live = false;
  /** Bumped by every break. */
  #epoch = 0;
  #count = 0;
  readonly #queues = new Map<number, Queue>();
  readonly #onEmpty: () => void;

  /** `onEmpty`: called when the last ticket closed. */
  constructor(onEmpty: () => void) {
    this.#onEmpty = onEmpty;
  }

  /** True when no ticket is open. */
  get unused(): boolean {
    return this.#queues.size === 0;
  }

  /** The server confirmed the subscription. */
  confirmed(): void {
    this.#live = true;
  }

  /** A new waiter's ticket; undefined while the channel is not confirmed. */
  issue(): Ticket | undefined {
    if (!this.#live) return undefined;
    const ticket = new ChannelTicket(this, ++this.#count, this.#epoch);
    this.#queues.set(ticket.id, ticket.queue);
    return ticket;
  }

  /** @internal For {@link ChannelTicket}. */
  get live(): boolean {
    return this.#live;
  }

  /** @internal For {@link ChannelTicket}: true while no break happened since `epoch`. */
  unbrokenSince(epoch: number): boolean {
    return this.#live && this.#epoch === epoch;
  }

  /** @internal For {@link ChannelTicket}. */
  close(id: number, queue: Queue): void {
    if (this.#queues.get(id) !== queue) return;
    this.#queues.delete(id);
    queue.wake?.();
    if (this.#queues.size === 0) this.#onEmpty();
  }

  /**
   * A message on the channel: `<id> <message>` for one waiter, or `''` (it came back after a
   * break: all look again, and earlier tickets stay broken).
   */
  deliver(message: string): void {
    if (message === '') {
      this.#epoch += 1;
      this.#live = true;
      for (const queue of this.#queues.values()) pushArrival(queue, '');
      return;
    }
    const space = message.indexOf(' ');
    const queue = this.#queues.get(Number(message.slice(0, space)));
    if (queue !== undefined) pushArrival(queue, message.slice(space + 1));
  }

  /** The connection dropped: messages are being missed. */
  down(): void {
    this.#live = false;
    this.#epoch += 1;
  }

  /** The connection is closing for good: every waiter looks again. */
  drop(): void {
    this.down();
    for (const queue of this.#queues.values()) pushArrival(queue, '');
  }
}

/** One waiter's ticket: a class, as one is issued before every fill lock attempt. */
class ChannelTicket implements Ticket {
  readonly queue: Queue = [];
  readonly #channel: ProcessChannel;
  readonly id: number;
  readonly #epoch: number;

  constructor(channel: ProcessChannel, id: number, epoch: number) {
    this.#channel = channel;
    this.id = id;
    this.#epoch = epoch;
  }

  get channel(): string {
    return this.#channel.name;
  }

  get live(): boolean {
    return this.#channel.live;
  }

  unbroken(): boolean {
    return this.#channel.unbrokenSince(this.#epoch);
  }

  next(ms: number): Promise<string> {
    return nextArrival(this.#channel.live, this.queue, ms);
  }

  close(): void {
    this.#channel.close(this.id, this.queue);
  }
}
