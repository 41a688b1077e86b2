import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeEntry, envelopeTail, isTombstone, jittered, shouldRefreshEarly, TOMBSTONE_TAIL } from '../../src/cache/envelope.js';
import { resolveCacheOptions, resolveGetOptions } from '../../src/cache/options.js';

describe('cache envelope', () => {
  test('round-trips what the scripts write, payload bars included', () => {
    const raw = `c1|1733000000123456|${envelopeTail(1_700_000_000_000, 12.6, 'a|b|c')}`;
    assert.deepEqual(decodeEntry(raw), { stamp: '1733000000123456', expiresAt: 1_700_000_000_000, delta: 13, payload: 'a|b|c' });
  });

  test('anything else under the key reads as a miss', () => {
    for (const raw of [null, undefined, '', 'plain value', 'c1|x|1|1|p', 'c1|1|2']) assert.equal(decodeEntry(raw), undefined, String(raw));
  });

  test('a tombstone is recognised', () => {
    const entry = decodeEntry(`c1|5|${TOMBSTONE_TAIL}`);
    assert.ok(entry !== undefined && isTombstone(entry));
  });

  test('jitter spreads ttls uniformly over ttl * (1 ± jitter)', () => {
    assert.equal(jittered(1000, 0.1, () => 0), 900);
    assert.equal(jittered(1000, 0.1, () => 0.5), 1000);
    assert.equal(jittered(1000, 0.1, () => 0.999999), 1100);
    assert.equal(jittered(1, 1, () => 0), 1, 'never below 1 ms');
  });

  test('XFetch refreshes earlier for slow computations and never with beta 0', () => {
    const entry = { stamp: '1', expiresAt: 10_000, delta: 100, payload: '' };
    // -ln(0.5) * 100 = 69 ms ahead: refresh from 9931 on.
    assert.equal(shouldRefreshEarly(entry, 9900, 1, () => 0.5), false);
    assert.equal(shouldRefreshEarly(entry, 9940, 1, () => 0.5), true);
    assert.equal(shouldRefreshEarly(entry, 9900, 2, () => 0.5), true, 'beta 2 looks twice as far ahead');
    assert.equal(shouldRefreshEarly(entry, 9999, 0, () => 0.5), false);
    assert.equal(shouldRefreshEarly({ ...entry, delta: 0 }, 9999, 1, () => 0.5), false);
  });
});

describe('cache options', () => {
  test('every option is checked, naming it, before any I/O', () => {
    assert.throws(() => resolveCacheOptions(undefined), /ttl/);
    assert.throws(() => resolveCacheOptions({}), /options.ttl is required/);
    assert.throws(() => resolveCacheOptions({ ttl: '1s' }), TypeError);
    assert.throws(() => resolveCacheOptions({ ttl: 1000, staleIfError: -1 }), /options.staleIfError/);
    assert.throws(() => resolveCacheOptions({ ttl: 1000, earlyRefresh: Number.NaN }), /options.earlyRefresh/);
    assert.throws(() => resolveCacheOptions({ ttl: 1000, serializer: { encode: JSON.stringify } }), /options.serializer.decode/);
    assert.throws(() => resolveCacheOptions({ ttl: 1000, store: {} }), /options.store/);
    assert.throws(() => resolveCacheOptions({ ttl: 1000, onStoreError: 'ignore' }), /options.onStoreError/);
    assert.throws(() => resolveCacheOptions({ ttl: 1000, fillTimeout: 0 }), /options.fillTimeout/);
    const base = resolveCacheOptions({ ttl: 1000 }).policy;
    assert.deepEqual(base, { ttl: 1000, jitter: 0.1, staleWhileRevalidate: 0, staleIfError: 0, earlyRefresh: 1 });
    assert.throws(() => resolveGetOptions({ timeout: -1 }, base), /options.timeout/);
    assert.throws(() => resolveGetOptions({ signal: 'x' }, base), /options.signal/);
    assert.equal(resolveGetOptions({ ttl: 5 }, base).policy.ttl, 5);
    assert.equal(resolveGetOptions(undefined, base).policy, base);
  });
});
