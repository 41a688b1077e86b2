/**
 * Hash slots computed client-side agree with Redis Cluster's (published values), and a multi-lock
 * on a Cluster node takes its keys one slot after another in slot order, while a standalone node
 * gets them all in one script call.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Redsync, type RedisNode } from '../../src/index.js';
import { multiAcquire, multiRelease } from '../../src/scripts/index.js';
import { crc16, groupBySlot, keySlot } from '../../src/slots.js';

/** A node that records each script call's keys and admits everything. */
function recordingNode(cluster: boolean, calls: { script: string; keys: readonly string[] }[]): RedisNode {
  const reply = (sha: string): unknown => (sha === multiAcquire.sha1 ? [1] : 1);
  return {
    cluster,
    setNX: () => Promise.resolve('OK'),
    evalsha: (sha, keys) => {
      calls.push({ script: sha === multiAcquire.sha1 ? 'acquire' : sha === multiRelease.sha1 ? 'release' : sha, keys });
      return Promise.resolve(reply(sha));
    },
    eval: () => Promise.reject(new Error('not expected')),
  };
}

describe('hash slots', () => {
  test('CRC16/XMODEM and key slots match the values Redis Cluster documents', () => {
    assert.equal(crc16(new TextEncoder().encode('123456789')), 0x31c3);
    assert.equal(keySlot('foo'), 12182);
    assert.equal(keySlot('{user1000}.following'), keySlot('{user1000}.followers'));
    assert.equal(keySlot('foo{}{bar}'), crc16(new TextEncoder().encode('foo{}{bar}')) % 16384, 'an empty first tag hashes the whole key');
    assert.equal(keySlot('foo{{bar}}zap'), keySlot('{bar'));
  });

  test('groups come in slot order, each sorted as given', () => {
    const keys = ['a', 'b', '{t}x', '{t}y'].sort();
    const groups = groupBySlot(keys);
    assert.deepEqual(groups.flat().sort(), keys);
    const slots = groups.map((group) => keySlot(group[0] as string));
    assert.deepEqual(slots, [...slots].sort((x, y) => x - y));
    assert.ok(groups.some((group) => group.length === 2 && group.includes('{t}x') && group.includes('{t}y')));
  });
});

describe('multi-lock on a Cluster node', () => {
  test('one script per slot, in slot order; a standalone node gets one script for all', async () => {
    const names = ['b', 'a', '{t}y', '{t}x'];
    const clusterCalls: { script: string; keys: readonly string[] }[] = [];
    const hold = await new Redsync([recordingNode(true, clusterCalls)]).multiLock(names).acquire();
    const acquires = clusterCalls.filter((c) => c.script === 'acquire').map((c) => c.keys);
    assert.deepEqual(acquires, groupBySlot(['a', 'b', '{t}x', '{t}y']));
    await hold.release();
    assert.equal(clusterCalls.filter((c) => c.script === 'release').length, acquires.length);
    const plainCalls: { script: string; keys: readonly string[] }[] = [];
    await (await new Redsync([recordingNode(false, plainCalls)]).multiLock(names).acquire()).release();
    assert.deepEqual(plainCalls.map((c) => c.keys), [['a', 'b', '{t}x', '{t}y'], ['a', 'b', '{t}x', '{t}y']]);
  });
});
