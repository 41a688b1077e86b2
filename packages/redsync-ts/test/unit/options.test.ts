import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { MUTEX_DEFAULTS, Redsync, fromIoredis, fromNodeRedis, type MutexOptions, type RedisNode } from '../../src/index.js';
import { fakeNode } from '../support/fake-node.js';

/** Anything at all: the generator invalid values are drawn from. */
const anything = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.bigInt(),
  fc.string(),
  fc.boolean(),
  fc.constantFrom(null, Number.NaN, Infinity, -Infinity, -0, 0.5, 1e21, Number.MAX_SAFE_INTEGER + 2, [], {}, () => 1),
);

/** A predicate per option: the values it accepts. Everything else must be rejected. */
const validity: Record<keyof MutexOptions, (v: unknown) => boolean> = {
  ttl: (v) => Number.isSafeInteger(v) && (v as number) >= 3 && (v as number) <= 2_147_483_647,
  tries: (v) => v === Infinity || (Number.isSafeInteger(v) && (v as number) >= 1),
  retryDelay: (v) => typeof v === 'function' || (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 2_147_483_647),
  driftFactor: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1,
  timeoutFactor: (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0 && v < 1,
  genValue: (v) => typeof v === 'function',
  failFast: (v) => typeof v === 'boolean',
  shufflePools: (v) => typeof v === 'boolean',
  setNXOnExtend: (v) => typeof v === 'boolean',
  autoExtend: (v) => typeof v === 'boolean',
  autoExtendFactor: (v) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1,
  maxHold: (v) => v === Infinity || (Number.isSafeInteger(v) && (v as number) >= 1),
  fencing: (v) => typeof v === 'boolean',
  waitReplicas: (v) => Number.isSafeInteger(v) && (v as number) >= 0 && (v as number) <= 1000,
};

function rejectsNaming(fn: () => unknown, name: string): void {
  assert.throws(fn, (e: unknown) => (e instanceof TypeError || e instanceof RangeError) && e.message.includes(name));
}

describe('option validation (before any I/O)', () => {
  test('waitReplicas on a node that cannot send WAIT is a TypeError naming the option', () => {
    const blind: RedisNode = { setNX: () => Promise.resolve('OK'), evalsha: () => Promise.resolve(1), eval: () => Promise.resolve(1) };
    assert.throws(() => new Redsync([blind]).mutex('n', { waitReplicas: 1 }), (e: unknown) => e instanceof TypeError && e.message.includes('options.waitReplicas'));
    assert.ok(new Redsync([blind]).mutex('n', { waitReplicas: 0 }));
  });
  for (const [option, isValid] of Object.entries(validity)) {
    test(`${option}: every invalid value throws TypeError/RangeError naming it; valid ones are accepted`, () => {
      const node = fakeNode('ok');
      fc.assert(
        fc.property(anything, (value) => {
          // ttl validity also depends on driftFactor; pin it to 0 so the predicate is exact.
          const options = { driftFactor: 0, [option]: value } as MutexOptions;
          const build = (): unknown => new Redsync([node], options).mutex('n');
          const buildPerMutex = (): unknown => new Redsync([node]).mutex('n', options);
          if (isValid(value)) {
            build();
            buildPerMutex();
          } else {
            rejectsNaming(build, option);
            rejectsNaming(buildPerMutex, option);
          }
        }),
        { numRuns: 300 },
      );
      assert.deepEqual(node.calls, { acquire: 0, reclaim: 0, other: 0 });
    });
  }

  test('a ttl too short to leave any validity after drift is a RangeError', () => {
    rejectsNaming(() => new Redsync([fakeNode('ok')], { ttl: 100, driftFactor: 0.99 }), 'ttl');
    rejectsNaming(() => new Redsync([fakeNode('ok')], { ttl: 2 }), 'ttl');
  });

  test('unknown options are rejected by name (a typo must not silently use the default)', () => {
    rejectsNaming(() => new Redsync([fakeNode('ok')], { tll: 5 } as MutexOptions), 'tll');
    rejectsNaming(() => new Redsync([fakeNode('ok')]).mutex('n', { expiry: 5 } as MutexOptions), 'expiry');
    rejectsNaming(() => new Redsync([fakeNode('ok')]).mutex('n', 5 as unknown as MutexOptions), 'options');
  });

  test('names and prefixes: non-empty strings of at most 1024 bytes', () => {
    fc.assert(
      fc.property(anything, (name) => {
        const rs = new Redsync([fakeNode('ok')]);
        if (typeof name === 'string' && name.length > 0 && Buffer.byteLength(name) <= 1024) rs.mutex(name);
        else rejectsNaming(() => rs.mutex(name as string), 'name');
      }),
    );
    rejectsNaming(() => new Redsync([fakeNode('ok')]).mutex('é'.repeat(513)), 'name');
    rejectsNaming(() => new Redsync([fakeNode('ok')], { prefix: 5 as unknown as string }), 'prefix');
    assert.equal(new Redsync([fakeNode('ok')], { prefix: 'app:' }).mutex('x').key, 'app:x');
  });

  test('nodes: a non-empty array of Redis nodes', () => {
    rejectsNaming(() => new Redsync([]), 'nodes');
    rejectsNaming(() => new Redsync(undefined as unknown as RedisNode[]), 'nodes');
    rejectsNaming(() => new Redsync([fakeNode('ok'), {} as RedisNode]), 'nodes[1]');
    rejectsNaming(() => new Redsync('abc' as unknown as RedisNode[]), 'nodes');
  });

  test('adapters reject things that are not clients', () => {
    rejectsNaming(() => fromIoredis({} as never), 'fromIoredis');
    rejectsNaming(() => fromNodeRedis(null as never), 'fromNodeRedis');
  });

  test('acquire options and adopt values are checked before any I/O', async () => {
    const node = fakeNode('ok');
    const mutex = new Redsync([node]).mutex('n');
    await assert.rejects(mutex.acquire({ signal: 'no' as unknown as AbortSignal }), (e) => e instanceof TypeError && /signal/.test(e.message));
    await assert.rejects(mutex.tryAcquire({ wait: 1 } as never), (e) => e instanceof TypeError && /wait/.test(e.message));
    rejectsNaming(() => mutex.adopt(''), 'value');
    const badValue = new Redsync([node], { genValue: () => '' }).mutex('n');
    await assert.rejects(badValue.acquire(), (e) => e instanceof TypeError && /genValue/.test(e.message));
    assert.deepEqual(node.calls, { acquire: 0, reclaim: 0, other: 0 });
  });

  test('per-call options objects of the same content are resolved once; different content, functions or invalid values never share', async () => {
    const node = fakeNode('ok');
    const rs = new Redsync([node]);
    const made: string[] = [];
    const genA = (): string => (made.push('a'), `a${String(made.length)}`);
    const genB = (): string => (made.push('b'), `b${String(made.length)}`);
    for (const genValue of [genA, genB, genA]) await (await rs.mutex('n', { ttl: 5000, genValue }).acquire()).release();
    assert.deepEqual(made, ['a', 'b', 'a'], 'each function by identity');
    rejectsNaming(() => rs.mutex('n', { ttl: 5000, genValue: 'x' as never }), 'genValue');
    rejectsNaming(() => rs.mutex('n', { ttl: -1 }), 'ttl');
    rejectsNaming(() => rs.mutex('n', { ttl: '5000' as never }), 'ttl');
    const lock = await rs.mutex('n', { ttl: 5000 }).acquire();
    assert.ok(lock.remaining() > 4000 && lock.remaining() <= 5000, 'the ttl of this call');
    await lock.release();
    // One option per call takes a shorter path: each value still gets its own resolution.
    const short = await rs.mutex('n', { ttl: 2000 }).acquire();
    assert.ok(short.remaining() > 1000 && short.remaining() <= 2000, 'another value, another ttl');
    await short.release();
    for (const genValue of [genA, genB]) await (await rs.mutex('n', { genValue }).acquire()).release();
    assert.deepEqual(made.slice(-2), ['a', 'b'], 'a lone function option, by identity');
    rejectsNaming(() => rs.mutex('n', { ttl: -1 }), 'ttl');
    rejectsNaming(() => rs.mutex('n', { tries: 0 }), 'tries');
  });

  test('defaults mirror go-redsync and are frozen', () => {
    assert.equal(MUTEX_DEFAULTS.ttl, 8000);
    assert.equal(MUTEX_DEFAULTS.tries, 32);
    assert.equal(MUTEX_DEFAULTS.driftFactor, 0.01);
    assert.equal(MUTEX_DEFAULTS.timeoutFactor, 0.05);
    assert.equal(Object.isFrozen(MUTEX_DEFAULTS), true);
    assert.equal(Buffer.from(MUTEX_DEFAULTS.genValue(), 'base64').length, 18);
  });

  test('default values are 24 base64 characters and never repeat, across batch boundaries', () => {
    const values = Array.from({ length: 1000 }, () => MUTEX_DEFAULTS.genValue());
    assert.equal(new Set(values).size, values.length);
    for (const value of values) assert.match(value, /^[A-Za-z0-9+/]{24}$/);
  });
});
