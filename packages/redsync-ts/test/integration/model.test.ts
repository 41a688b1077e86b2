/**
 * Model-based test (fast-check commands) on real servers: random sequences of tryAcquire, extend,
 * release and a rogue expiry, by three clients, checked against a model of who should hold what.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { LockLostError, Redsync, type Lock } from '../../src/index.js';
import { ADAPTERS, expireEverywhere, startCluster, uniqueName, type TestCluster } from '../support/cluster.js';

interface Model {
  /** The client the lock belongs to, or null. */
  holder: number | null;
}

interface Real {
  readonly clients: readonly Redsync[];
  readonly name: string;
  readonly cluster: TestCluster;
  /** Each client's last handle, possibly stale. */
  readonly handles: (Lock | undefined)[];
}

type Command = fc.AsyncCommand<Model, Real>;

class TryAcquire implements Command {
  constructor(readonly client: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const lock = await real.clients[this.client]?.mutex(real.name).tryAcquire();
    if (model.holder === null) {
      assert.ok(lock, 'a free lock is granted');
      model.holder = this.client;
      real.handles[this.client] = lock;
    } else assert.equal(lock, null, 'a held lock is refused, even to its own holder asking again');
  }
  toString = (): string => `tryAcquire(${String(this.client)})`;
}

class Extend implements Command {
  constructor(readonly client: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const handle = real.handles[this.client];
    if (handle === undefined) return;
    if (model.holder === this.client) await handle.extend();
    else await assert.rejects(handle.extend(), LockLostError, 'a non-holder can never extend');
  }
  toString = (): string => `extend(${String(this.client)})`;
}

class Release implements Command {
  constructor(readonly client: number) {}
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    const handle = real.handles[this.client];
    if (handle === undefined) return;
    const released = await handle.release();
    assert.equal(released, model.holder === this.client, 'only the holder releases');
    if (model.holder === this.client) model.holder = null;
    real.handles[this.client] = undefined;
  }
  toString = (): string => `release(${String(this.client)})`;
}

class RogueExpiry implements Command {
  check = (): boolean => true;
  async run(model: Model, real: Real): Promise<void> {
    await expireEverywhere(real.cluster, real.name);
    model.holder = null;
  }
  toString = (): string => 'expire';
}

const client = fc.integer({ min: 0, max: 2 });
const commands = fc.commands(
  [client.map((c) => new TryAcquire(c)), client.map((c) => new Extend(c)), client.map((c) => new Release(c)), fc.constant(new RogueExpiry())],
  { maxCommands: 20 },
);

for (const adapter of ADAPTERS) {
  describe(`model-based sequences via ${adapter}`, () => {
    let cluster: TestCluster;
    before(async () => {
      cluster = await startCluster(adapter, 3);
    });
    after(() => cluster.close());

    test('every sequence matches the model of who holds the lock', async () => {
      const clients = [0, 1, 2].map(() => new Redsync(cluster.nodes, { ttl: 30_000 }));
      await fc.assert(
        fc.asyncProperty(commands, async (cmds) => {
          const real: Real = { clients, name: uniqueName('model'), cluster, handles: [undefined, undefined, undefined] };
          await fc.asyncModelRun(() => ({ model: { holder: null }, real }), cmds);
          await Promise.all(real.handles.flatMap((h) => (h === undefined ? [] : [h.release().catch(() => false)])));
        }),
        { numRuns: 25 },
      );
    });
  });
}
