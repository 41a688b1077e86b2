/**
 * Model-based tests (fast-check commands) of the semaphore, the read-write lock, the multi-lock
 * and the fair lock on real servers: random sequences of tryAcquire, extend, release and a rogue
 * expiry by three clients, checked against a model of who should hold what. On 1 node and on 3
 * (semaphore in mode 'quorum'). The multi-lock's two "sides" are two sets of names: [a, b] and [c].
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { LockLostError, Redsync, planSemaphore, type Permit } from '../../src/index.js';
import { startCluster, uniqueName, type TestCluster } from '../support/cluster.js';

const LIMIT = 2;

/** Who holds what: per client, its side (semaphore permits are all 'r'), or undefined. */
interface Model {
  readonly held: ('r' | 'w' | undefined)[];
}

interface Real {
  readonly clients: readonly Redsync[];
  readonly name: string;
  readonly cluster: TestCluster;
  readonly kind: Kind;
  /** The semaphore's effective limit (1 node: LIMIT; 3 nodes in mode 'quorum': 1). */
  readonly limit: number;
  readonly handles: (Permit | undefined)[];
}

type Kind = 'semaphore' | 'rwlock' | 'multilock' | 'fair';
type Command = fc.AsyncCommand<Model, Real>;

/** The multi-lock's names for a side: two sides that share no name, each exclusive to itself. */
const MULTI_NAMES = { r: ['a', 'b'], w: ['c'] } as const;

function tryAcquire(real: Real, rs: Redsync, side: 'r' | 'w'): Promise<Permit | null> {
  switch (real.kind) {
    case 'semaphore':
      return rs.semaphore(real.name, { limit: LIMIT, mode: 'quorum' }).tryAcquire();
    case 'rwlock':
      return (side === 'r' ? rs.rwlock(real.name).read() : rs.rwlock(real.name).write()).tryAcquire();
    case 'multilock':
      return rs.multiLock(MULTI_NAMES[side].map((n) => `${real.name}:${n}`)).tryAcquire();
    case 'fair':
      return rs.fairLock(real.name).tryAcquire();
  }
}

/** Whether `side` may be granted to a client now, by the model. */
function grantable(model: Model, real: Real, side: 'r' | 'w'): boolean {
  const holders = model.held.filter((h) => h !== undefined);
  if (real.kind === 'semaphore') return holders.length < real.limit;
  if (real.kind === 'multilock') return !holders.includes(side);
  if (real.kind === 'fair') return holders.length === 0;
  return side === 'r' ? !holders.includes('w') : holders.length === 0;
}

class TryAcquire implements Command {
  constructor(
    readonly client: number,
    readonly side: 'r' | 'w',
  ) {}
  check = (model: Readonly<Model>): boolean => model.held[this.client] === undefined;
  async run(model: Model, real: Real): Promise<void> {
    const rs = real.clients[this.client] as Redsync;
    const side = real.kind === 'semaphore' || real.kind === 'fair' ? 'r' : this.side;
    const permit = await tryAcquire(real, rs, side);
    const expected = grantable(model, real, side);
    assert.equal(permit !== null, expected, `${side} ${expected ? 'granted' : 'refused'} by the model (${JSON.stringify(model.held)})`);
    if (permit !== null) {
      model.held[this.client] = side;
      real.handles[this.client] = permit;
    }
  }
  toString = (): string => `tryAcquire(${String(this.client)}, ${this.side})`;
}

class Extend implements Command {
  constructor(readonly client: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const handle = real.handles[this.client];
    if (handle === undefined) return;
    if (model.held[this.client] !== undefined) assert.ok((await handle.extend()) > 0);
    else await assert.rejects(handle.extend(), LockLostError, 'an expired hold never extends');
  }
  toString = (): string => `extend(${String(this.client)})`;
}

class Release implements Command {
  constructor(readonly client: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const handle = real.handles[this.client];
    if (handle === undefined) return;
    assert.equal(await handle.release(), model.held[this.client] !== undefined, 'release says whether it still held');
    model.held[this.client] = undefined;
    real.handles[this.client] = undefined;
  }
  toString = (): string => `release(${String(this.client)})`;
}

/** Every hold vanishes behind the library's back (the keys deleted on every node). */
class RogueExpiry implements Command {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const multi = Object.values(MULTI_NAMES).flatMap((names) => names.map((n) => `${real.name}:${n}`));
    await Promise.all(real.cluster.admin.map((a) => a.del(real.name, `{${real.name}}:readers`, `{${real.name}}:writer-waiting`, `{${real.name}}:queue`, `{${real.name}}:waiters`, ...multi)));
    model.held.fill(undefined);
  }
  toString = (): string => 'expire';
}

const client = fc.integer({ min: 0, max: 2 });
const side = fc.constantFrom<'r' | 'w'>('r', 'w');
const commands = fc.commands(
  [fc.tuple(client, side).map(([c, s]) => new TryAcquire(c, s)), client.map((c) => new Extend(c)), client.map((c) => new Release(c)), fc.constant(new RogueExpiry())],
  { maxCommands: 20 },
);

for (const nodes of [1, 3]) {
  describe(`primitives against a model (ioredis, ${String(nodes)} node(s))`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster('ioredis', nodes);
    });
    after(() => cluster.close());

    for (const kind of ['semaphore', 'rwlock', 'multilock', 'fair'] as const) {
      test(`${kind}: every sequence matches the model`, async () => {
        const clients = [0, 1, 2].map(() => new Redsync(cluster.nodes, { ttl: 30_000 }));
        await fc.assert(
          fc.asyncProperty(commands, async (cmds) => {
            const limit = planSemaphore(LIMIT, nodes, 'quorum').effectiveLimit;
            const real: Real = { clients, name: uniqueName(kind), cluster, kind, limit, handles: [undefined, undefined, undefined] };
            await fc.asyncModelRun(() => ({ model: { held: [undefined, undefined, undefined] }, real }), cmds);
            await Promise.all(real.handles.flatMap((h) => (h === undefined ? [] : [h.release().catch(() => false)])));
          }),
          { numRuns: 20 },
        );
        await Promise.all(clients.map((rs) => rs.close()));
      });
    }
  });
}
