/**
 * A lock holder in its own process, for the paused-holder test: it takes a fenced lock, reports
 * its fence, then (after the parent has SIGSTOPped and SIGCONTed it, and says "go") tries its late
 * fenced write regardless of its signal, as a holder unaware of its pause would, and reports.
 */
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { Redsync, fencedSet, fromIoredis } from '../../src/index.js';

const [socketsJson, name, dataKey] = process.argv.slice(2);
const sockets = JSON.parse(socketsJson ?? '[]') as string[];
const clients = sockets.map((path) => new Redis({ path }));
const rs = new Redsync(clients.map((c) => fromIoredis(c)), { fencing: true, ttl: 500 });
const lock = await rs.mutex(name ?? '').acquire();
const signal = lock.signal;
process.stdout.write(`${JSON.stringify({ event: 'acquired', fence: lock.fence })}\n`);

for await (const line of createInterface({ input: process.stdin })) {
  if (line !== 'go') continue;
  // Read through the lock: its getter checks the clock, which is what a holder resuming from a
  // pause needs (no timer may have run yet when the first callback after SIGCONT runs).
  const signalAborted = lock.signal.aborted;
  const reason = (lock.signal.reason as { reason?: string } | undefined)?.reason;
  if (signal.reason !== lock.signal.reason) throw new Error('the signal watched since acquisition must be the same');
  const writeAccepted = await fencedSet(fromIoredis(clients[0] as Redis), dataKey ?? '', 'late write from the paused holder', lock.fence ?? 0);
  process.stdout.write(`${JSON.stringify({ event: 'woke', signalAborted, reason, writeAccepted })}\n`);
  break;
}
for (const c of clients) c.disconnect();
