/**
 * The waiting side of a fill: a caller that lost the fill lock waits for the value's arrival,
 * bounded by the fill lock's remaining ttl, and comes back to try the lock only when the filler
 * vanished. Never a retry delay.
 *
 * Two ways to hear of it. Registered: the lost attempt put the caller in the key's waiters set
 * and read the entry in the same step (cache-attempt.ts), on a channel this process subscribed
 * once; whatever is written next is published to it, so it waits with no command more. Else (the
 * first wait of a process, a Cluster, a store apart from the lock nodes, a break in that channel,
 * or once its one message was not the value): it subscribes to the key's channel, then reads.
 */
import type { Arrivals, Ticket } from '../channel-feed.js';
import type { CacheReadReply } from '../scripts/cache-read.js';
import { decodeEntry, isTombstone } from './envelope.js';
import { CacheFillError, CacheTimeoutError } from './errors.js';
import { settled, staleStandIn, type FillRequest, type FillResult, type FillSetup } from './fill-request.js';

/** How long a waiter waits before trying the lock again when the store node shows no fill lock. */
const NO_HOLDER_WAIT_MS = 50;

/** Waits for another process's fill; undefined when the caller should try the lock again. Closes `ticket`. */
export async function waitForArrival<T>(setup: FillSetup<T>, request: FillRequest<T>, deadline: number, ticket: Ticket | undefined): Promise<FillResult<T> | undefined> {
  let found = ticket === undefined ? undefined : await registeredRead(setup, ticket);
  if (found === undefined) ticket?.close();
  let arrivals: Arrivals | undefined = found === undefined ? undefined : ticket;
  try {
    for (;;) {
      const left = deadline - performance.now();
      if (left <= 0) throw new CacheTimeoutError(`no value for this key arrived within fillTimeout (${setup.fillTimeout} ms)`);
      if (arrivals === undefined) {
        // Registered next time (the process's channel is subscribed once).
        if (setup.waitersKey !== undefined) setup.feed.openTickets();
        // Listen first, then look: a value that arrived before the subscription was heard is there.
        arrivals = await setup.feed.listen(request.key);
      }
      const read = found ?? (await setup.store.read(request.key, setup.lockKeyOnStore));
      found = undefined;
      const entry = decodeEntry(read.entry);
      if (settled(request, entry, Date.now()) && entry !== undefined) return { value: setup.serializer.decode(entry.payload), source: 'arrived' };
      const holder = read.lockTtl >= 0 ? read.lockTtl + Math.random() * 50 : read.lockTtl === -2 ? NO_HOLDER_WAIT_MS : setup.lockTtl;
      const heard = await arrivals.next(Math.min(holder, left));
      const result = onMessage(setup, request, heard);
      if (result !== 'look') return result;
      if (arrivals === ticket) {
        // A registration is told once: to go on waiting, listen on the key's channel.
        ticket.close();
        arrivals = undefined;
      }
    }
  } finally {
    arrivals?.close();
  }
}

/**
 * What the lost attempt found, when it registered `ticket` as a waiter while the process's
 * channel stayed subscribed (since before the attempt was sent, as tickets are only issued on a
 * confirmed channel); else undefined, and the waiter listens on the key's channel instead.
 */
async function registeredRead(setup: FillSetup<unknown>, ticket: Ticket): Promise<CacheReadReply | undefined> {
  const found = await setup.attempt?.heldRead();
  return found !== undefined && ticket.unbroken() ? found : undefined;
}

function onMessage<T>(setup: FillSetup<T>, request: FillRequest<T>, heard: string): FillResult<T> | undefined | 'look' {
  if (heard === 'timeout') return undefined;
  if (heard === 'u') return { value: undefined, source: 'arrived' };
  if (heard.startsWith('e')) {
    const stale = staleStandIn(request, Date.now());
    if (stale === undefined) throw new CacheFillError(heard.slice(1));
    setup.counters.staleServed += 1;
    return { value: setup.serializer.decode(stale.payload), source: 'stale' };
  }
  const entry = heard.length > 1 ? decodeEntry(heard.slice(1)) : undefined;
  if (entry === undefined || isTombstone(entry)) return 'look';
  return { value: setup.serializer.decode(entry.payload), source: 'arrived' };
}
