import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SharedReads, type SharedRead } from '../../src/cache/flights.js';
import type { EntryPolicy } from '../../src/cache/options.js';

const POLICY: EntryPolicy = { ttl: 1000, jitter: 0, staleWhileRevalidate: 0, staleIfError: 0, earlyRefresh: 0 };
const OTHER: EntryPolicy = { ...POLICY, ttl: 2000 };

function read(key: string, policy = POLICY): SharedRead<string> {
  return { key, entryKey: `cache:${key}`, loader: () => 'v', policy, trace: undefined, joiners: 0, answer: Promise.resolve('v') };
}

describe('reads in flight', () => {
  test('one read at a time: found while in flight, gone once done', () => {
    const reads = new SharedReads<string>();
    for (let i = 0; i < 3; i++) {
      const r = read('a');
      assert.equal(reads.find('a', POLICY), undefined);
      reads.add(r);
      assert.equal(reads.find('a', POLICY), r);
      assert.equal(reads.find('a', OTHER), undefined, 'another policy does not share it');
      assert.equal(reads.find('b', POLICY), undefined);
      reads.done(r);
    }
    assert.equal(reads.find('a', POLICY), undefined);
  });

  test('many keys at once: each is found until its own read is done', () => {
    const reads = new SharedReads<string>();
    const all = ['a', 'b', 'c', 'd'].map((key) => read(key));
    for (const r of all) reads.add(r);
    for (const r of all) assert.equal(reads.find(r.key, POLICY), r);
    reads.done(all[0] as SharedRead<string>);
    reads.done(all[2] as SharedRead<string>);
    assert.deepEqual(all.map((r) => reads.find(r.key, POLICY) === r), [false, true, false, true]);
  });

  test('a later read of a key takes its place, and the earlier one ending does not remove it', () => {
    for (const busy of [false, true]) {
      const reads = new SharedReads<string>();
      if (busy) reads.add(read('x')); // so that 'a' is not the only read
      const first = read('a', OTHER);
      const second = read('a');
      reads.add(first);
      reads.add(second);
      assert.equal(reads.find('a', POLICY), second);
      reads.done(first);
      assert.equal(reads.find('a', POLICY), second, busy ? 'in the map' : 'in the slot');
      reads.done(second);
      assert.equal(reads.find('a', POLICY), undefined);
    }
  });
});
