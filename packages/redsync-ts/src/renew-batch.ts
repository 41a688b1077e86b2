import { cancelDeadline, scheduleDeadline } from './deadlines.js';
import type { LockContext } from './lock-ops.js';
import type { RedisNode } from './node.js';
import { runScript } from './script.js';
import { lockExtend, lockExtendMany, lockExtendOrSet } from './scripts/index.js';
import { validUntil } from './validity.js';

/** What a renewal needs to know about one held lock. */
export interface Renewable {
  readonly ctx: LockContext;
  readonly value: string;
}

/** How one lock's renewal went. */
export interface RenewalResult {
  /** A quorum confirmed it, with validity left: the new `validUntil`. */
  readonly validUntil: number | undefined;
  /** A quorum said it is gone or someone else's: no retry can save it. */
  readonly lost: boolean;
}

/** Keys per script call: keeps each call short, so a node is never blocked for long. */
const CHUNK = 256;
/** Nodes that answered CROSSSLOT to a batch (Redis Cluster): they get one command per lock. */
const unbatchable = new WeakSet<RedisNode>();

/**
 * Renews `leases` (all on the same nodes) in one round: on each node, one `lock-extend-many` call
 * per chunk of locks, sent together so the client can pipeline them. Bounded by the smallest
 * per-node timeout among the leases; never rejects.
 */
export async function renewBatch(leases: readonly Renewable[], clock: () => number): Promise<RenewalResult[]> {
  const first = leases[0];
  if (first === undefined) return [];
  const { nodes, quorum } = first.ctx;
  const start = clock();
  const timeout = Math.min(...leases.map((l) => l.ctx.timeout));
  const perNode = await Promise.all(nodes.map((node) => withTimeout(renewOnNode(node, leases), timeout)));
  const settledAt = clock();
  return leases.map((lease, i) => {
    let ok = 0;
    let against = 0;
    for (const codes of perNode) {
      const code = codes?.[i];
      if (code === 1) ok += 1;
      else if (code === 0 || code === -1) against += 1;
    }
    const { ttl, driftFactor } = lease.ctx.options;
    const until = validUntil(start, ttl, driftFactor);
    const confirmed = ok >= quorum && until > settledAt;
    return { validUntil: confirmed ? until : undefined, lost: against > nodes.length - quorum };
  });
}

/** One code per lease (1 / 0 / -1), or undefined when the node failed. */
async function renewOnNode(node: RedisNode, leases: readonly Renewable[]): Promise<(number | undefined)[]> {
  const codes: (number | undefined)[] = new Array<number | undefined>(leases.length);
  const sends: Promise<void>[] = [];
  const batchable: number[] = [];
  leases.forEach((lease, i) => {
    if (lease.ctx.options.setNXOnExtend || unbatchable.has(node)) sends.push(renewOne(node, lease).then((c) => void (codes[i] = c)));
    else batchable.push(i);
  });
  for (let from = 0; from < batchable.length; from += CHUNK) {
    const indexes = batchable.slice(from, from + CHUNK);
    sends.push(
      renewChunk(node, indexes.map((i) => leases[i] as Renewable)).then((chunkCodes) => {
        indexes.forEach((leaseIndex, k) => (codes[leaseIndex] = chunkCodes[k]));
      }),
    );
  }
  await Promise.all(sends.map((s) => s.catch(() => undefined)));
  return codes;
}

async function renewChunk(node: RedisNode, chunk: readonly Renewable[]): Promise<(number | undefined)[]> {
  const keys = chunk.map((l) => l.ctx.key);
  const args = chunk.flatMap((l) => [l.value, l.ctx.ttlArg]);
  try {
    return await runScript(node, lockExtendMany, keys, args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('CROSSSLOT')) throw error;
    unbatchable.add(node);
    return Promise.all(chunk.map((lease) => renewOne(node, lease).catch(() => undefined)));
  }
}

function renewOne(node: RedisNode, lease: Renewable): Promise<number> {
  const script = lease.ctx.options.setNXOnExtend ? lockExtendOrSet : lockExtend;
  return runScript(node, script, [lease.ctx.key], [lease.value, lease.ctx.ttlArg]).then((verdict) =>
    verdict === 'ok' ? 1 : verdict === 'expired' ? -1 : 0,
  );
}

/** The node's answer, or undefined if it failed or did not answer within `ms`. */
function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    const deadline = scheduleDeadline(ms, () => resolve(undefined));
    work.then(
      (value) => {
        cancelDeadline(deadline);
        resolve(value);
      },
      () => {
        cancelDeadline(deadline);
        resolve(undefined);
      },
    );
  });
}
