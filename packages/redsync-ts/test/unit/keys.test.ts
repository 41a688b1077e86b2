import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redsync } from '../../src/index.js';
import { companionKey, fenceKeyOf, hashTagOf } from '../../src/keys.js';
import { fakeNode } from '../support/fake-node.js';

describe('companion keys share the lock key\'s cluster slot', () => {
  test('a key without a hash tag is wrapped whole, which hashes like the bare key', () => {
    assert.equal(hashTagOf('inventory:42'), undefined);
    assert.equal(fenceKeyOf('inventory:42'), '{inventory:42}:fence');
    assert.equal(hashTagOf(fenceKeyOf('inventory:42')), 'inventory:42');
  });

  test('a key with a hash tag keeps it', () => {
    assert.equal(hashTagOf('{user:1}:cart'), 'user:1');
    assert.equal(fenceKeyOf('{user:1}:cart'), '{user:1}:cart:fence');
    assert.equal(hashTagOf(companionKey('{user:1}:cart', ':fence-max')), 'user:1');
  });

  test('empty or unclosed braces are not hash tags (Redis hashes the whole key then)', () => {
    assert.equal(hashTagOf('a{}b'), undefined);
    assert.equal(hashTagOf('a{b'), undefined);
    assert.equal(fenceKeyOf('a{}b'), '{a{}b}:fence');
  });
});

describe('withLock input', () => {
  test('bad arguments reject with TypeError/RangeError before any I/O', async () => {
    const node = fakeNode('ok');
    const rs = new Redsync([node]);
    await assert.rejects(rs.withLock('x', 'not a function' as never), (e) => e instanceof TypeError && /work/.test(e.message));
    await assert.rejects(rs.withLock('', () => 1), (e) => e instanceof RangeError && /name/.test(e.message));
    await assert.rejects(rs.withLock('x', () => 1, { ttl: -1 }), (e) => e instanceof RangeError && /ttl/.test(e.message));
    await assert.rejects(rs.withLock('x', () => 1, { onReleaseError: 5 as never }), (e) => e instanceof TypeError && /onReleaseError/.test(e.message));
    await assert.rejects(rs.mutex('x').acquire({ autoExtend: 'yes' as never }), (e) => e instanceof TypeError && /autoExtend/.test(e.message));
    assert.deepEqual(node.calls, { acquire: 0, reclaim: 0, other: 0 });
  });
});
