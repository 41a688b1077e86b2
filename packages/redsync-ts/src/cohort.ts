import { cancelDeadline, scheduleDeadline } from './deadlines.js';
import type { LockContext } from './lock-ops.js';
import type { HeapEntry } from './min-heap.js';
import type { RedisNode } from './node.js';
import { acknowledgingReplicas } from './replicas.js';
import { runScript, type Operation } from './script.js';
import { lockExtend, lockExtendMany, lockExtendOrSet } from './scripts/index.js';
import { keySlot } from './slots.js';
import { validUntil } from './validity.js';

/** A member of a cohort: one renewing lock. */
export interface CohortMember {
  readonly ctx: LockContext;
  readonly value: string;
  /** Position in its cohort, maintained by the cohort. */
  slot: number;
}

/** Keys per script call: keeps each call short, so a node is never blocked for long. */
const CHUNK = 256;
/** Nodes that answered CROSSSLOT to a batch (Redis Cluster): they get one command per lock. */
const unbatchable = new WeakSet<RedisNode>();

/** How a cohort renewal went, per member (by slot, for the first `size` members). */
export interface CohortRenewal {
  /** The validity every confirmed member now has. */
  readonly validUntil: number;
  /** Every member was confirmed: the usual case, reported without per-member work. */
  readonly all: boolean;
  /** Members confirmed by a quorum with validity left. */
  readonly confirmed: boolean[];
  /** Members a quorum reported gone or someone else's. */
  readonly lost: boolean[];
}

/**
 * Locks with the same nodes and options whose renewals fall due close together, renewed as one:
 * one heap entry, one validity, and key/value arrays kept ready between renewals, so a renewal
 * costs about what a hand-written batched renewer costs. Removing a member is O(1) (swap with the
 * last), deferred while a renewal is in flight so slots stay aligned with its replies.
 */
export class Cohort<M extends CohortMember> implements HeapEntry {
  due = 0;
  heapIndex = -1;
  /** Validity shared by the members, from the last renewal that confirmed them all. */
  validUntil: number;
  failures = 0;
  inFlight: Promise<void> | undefined;
  readonly members: M[] = [];
  readonly #keys: string[] = [];
  readonly #values: string[] = [];
  /** Each key's Redis Cluster slot, kept only when some node is a Cluster client. */
  readonly #slots: number[] | undefined;
  readonly #leaving = new Set<M>();

  constructor(readonly ctx: LockContext, validUntilOfFirst: number) {
    this.validUntil = validUntilOfFirst;
    this.#slots = ctx.nodes.some((node) => node.cluster === true) ? [] : undefined;
  }

  /** The last moment a renewal round could still finish within the shared validity. */
  get lostAt(): number {
    return this.validUntil - this.ctx.timeout;
  }

  get period(): number {
    return this.ctx.options.ttl * this.ctx.options.autoExtendFactor;
  }

  add(member: M, memberValidUntil: number): void {
    member.slot = this.members.length;
    this.members.push(member);
    this.#keys.push(member.ctx.key);
    this.#values.push(member.value);
    this.#slots?.push(keySlot(member.ctx.key));
    this.validUntil = Math.min(this.validUntil, memberValidUntil);
  }

  remove(member: M): void {
    if (member.slot < 0 || this.members[member.slot] !== member) return;
    if (this.inFlight !== undefined) this.#leaving.add(member);
    else this.#drop(member);
  }

  /** Applies removals deferred during a renewal. */
  settleRemovals(): void {
    for (const member of this.#leaving) this.#drop(member);
    this.#leaving.clear();
  }

  #drop(member: M): void {
    const slot = member.slot;
    const last = this.members.length - 1;
    const moved = this.members[last] as M;
    this.members[slot] = moved;
    this.#keys[slot] = this.#keys[last] as string;
    this.#values[slot] = this.#values[last] as string;
    if (this.#slots !== undefined) this.#slots[slot] = this.#slots[last] as number;
    moved.slot = slot;
    this.members.pop();
    this.#keys.pop();
    this.#values.pop();
    this.#slots?.pop();
    member.slot = -1;
  }

  /** Renews the first `size` members on every node; never rejects. */
  async renew(clock: () => number): Promise<CohortRenewal> {
    const { nodes, quorum, timeout, options } = this.ctx;
    const size = this.members.length;
    const start = clock();
    // Over once every node answered or timed out: a release waits for this renewal (see
    // `LeaseKeeper.forget`), so only what is sent before then is sure to land before it.
    const renewal = { over: false };
    const perNode = await Promise.all(nodes.map((node) => withTimeout(this.#renewOnNode(node, size, renewal), timeout)));
    renewal.over = true;
    const until = validUntil(start, options.ttl, options.driftFactor);
    const fresh = until > clock();
    // Every answering node renewed every member, except the ones it listed.
    const answered = perNode.filter((misses) => misses !== undefined).length;
    if (fresh && answered >= quorum && perNode.every((misses) => misses === undefined || misses.length === 0)) {
      return { validUntil: until, all: true, confirmed: [], lost: [] };
    }
    const missedBy = new Uint8Array(size);
    const deniedBy = new Uint8Array(size);
    for (const misses of perNode) {
      if (misses === undefined) continue;
      for (let k = 0; k < misses.length; k += 2) {
        const slot = (misses[k] as number) - 1;
        missedBy[slot] = (missedBy[slot] as number) + 1;
        if (misses[k + 1] === 0 || misses[k + 1] === -1) deniedBy[slot] = (deniedBy[slot] as number) + 1;
      }
    }
    const confirmed: boolean[] = new Array<boolean>(size);
    const lost: boolean[] = new Array<boolean>(size);
    for (let i = 0; i < size; i++) {
      confirmed[i] = fresh && answered - (missedBy[i] as number) >= quorum;
      lost[i] = (deniedBy[i] as number) > nodes.length - quorum;
    }
    return { validUntil: until, all: false, confirmed, lost };
  }

  /**
   * The node's misses as flat (1-based slot, code) pairs; a failed chunk counts as missed. With
   * `waitReplicas`, a node whose replicas did not confirm the renewal (WAIT, once per hash slot on
   * a Cluster node) counts as failed for every member: neither confirmed nor lost there.
   */
  async #renewOnNode(node: RedisNode, size: number, renewal: Operation): Promise<number[]> {
    const misses = await this.#extendOnNode(node, size, renewal);
    const wanted = this.ctx.options.waitReplicas;
    if (wanted === 0 || size === 0) return misses;
    const keys = node.cluster === true ? this.#onePerSlot(size) : [this.#keys[0] as string];
    const count = await acknowledgingReplicas(this.ctx, node, keys).catch(() => -1);
    return count >= wanted ? misses : missAll(0, size);
  }

  /** A key of each hash slot among the first `size` members (WAIT goes to that slot's master). */
  #onePerSlot(size: number): string[] {
    const bySlot = new Map<number, string>();
    for (let i = 0; i < size; i++) bySlot.set(this.#slots?.[i] ?? keySlot(this.#keys[i] as string), this.#keys[i] as string);
    return [...bySlot.values()];
  }

  async #extendOnNode(node: RedisNode, size: number, renewal: Operation): Promise<number[]> {
    const { options, ttlArg } = this.ctx;
    if (options.setNXOnExtend || unbatchable.has(node)) return this.#renewOneByOne(node, 0, size, renewal);
    if (node.cluster === true && this.#slots !== undefined) return this.#renewBySlot(node, size, renewal);
    const sends: Promise<number[]>[] = [];
    for (let from = 0; from < size; from += CHUNK) {
      const to = Math.min(size, from + CHUNK);
      sends.push(
        runScript(node, lockExtendMany, this.#keys.slice(from, to), [ttlArg, ...this.#values.slice(from, to)]).then(
          (misses) => (from === 0 ? misses : misses.map((n, k) => (k % 2 === 0 ? n + from : n))),
          (error: unknown) => {
            if (error instanceof Error && error.message.includes('CROSSSLOT')) {
              unbatchable.add(node);
              return this.#renewOneByOne(node, from, to, renewal);
            }
            return missAll(from, to);
          },
        ),
      );
    }
    return (await Promise.all(sends)).flat();
  }

  /**
   * A Cluster node: one extend-many per hash slot (a script's keys must share one), chunked as
   * elsewhere, instead of one call per key.
   */
  async #renewBySlot(node: RedisNode, size: number, renewal: Operation): Promise<number[]> {
    const bySlot = new Map<number, number[]>();
    for (let i = 0; i < size; i++) {
      const slot = this.#slots?.[i] as number;
      const members = bySlot.get(slot);
      if (members === undefined) bySlot.set(slot, [i]);
      else members.push(i);
    }
    const sends: Promise<number[]>[] = [];
    for (const members of bySlot.values()) {
      for (let from = 0; from < members.length; from += CHUNK) {
        const chunk = members.slice(from, from + CHUNK);
        const keys = chunk.map((i) => this.#keys[i] as string);
        const args = [this.ctx.ttlArg, ...chunk.map((i) => this.#values[i] as string)];
        sends.push(
          runScript(node, lockExtendMany, keys, args, renewal).then(
            // Misses name positions in this call: map them back to the members' slots.
            (misses) => misses.map((n, k) => (k % 2 === 0 ? (chunk[n - 1] as number) + 1 : n)),
            () => chunk.flatMap((i) => [i + 1, 2]),
          ),
        );
      }
    }
    return (await Promise.all(sends)).flat();
  }

  #renewOneByOne(node: RedisNode, from: number, to: number, renewal: Operation): Promise<number[]> {
    const script = this.ctx.options.setNXOnExtend ? lockExtendOrSet : lockExtend;
    const ttlArg = this.ctx.ttlArg;
    return Promise.all(
      this.#keys.slice(from, to).map((key, i) =>
        runScript(node, script, [key], [this.#values[from + i] as string, ttlArg], renewal).then(
          (verdict): number[] => (verdict === 'ok' ? [] : [from + i + 1, verdict === 'expired' ? -1 : 0]),
          (): number[] => [from + i + 1, 2],
        ),
      ),
    ).then((pairs) => pairs.flat());
  }
}

/** Misses for slots [from, to) with a code that counts neither for nor against (a failure). */
function missAll(from: number, to: number): number[] {
  const misses: number[] = [];
  for (let i = from; i < to; i++) misses.push(i + 1, 2);
  return misses;
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
