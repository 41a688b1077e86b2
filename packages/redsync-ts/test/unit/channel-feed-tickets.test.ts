/**
 * Tickets on a process's own channel (ChannelFeed.ticket): none until that channel is confirmed,
 * each message to the waiter it names, and a break in the channel seen by every ticket issued
 * before it. A fake subscriber connection: no server is involved.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ChannelFeed } from '../../src/channel-feed.js';
import type { RedisNode, ReleaseFeed } from '../../src/node.js';

/** A node whose feed the test drives: it confirms subscriptions and delivers messages by hand. */
function fakeNode(): { node: RedisNode; confirm: () => void; deliver: (channel: string, message: string) => void; drop: () => void; subscribed: string[] } {
  const subscribed: string[] = [];
  const pending: (() => void)[] = [];
  let onMessage: (channel: string, message: string) => void = () => undefined;
  let onDown: (() => void) | undefined;
  const feed: ReleaseFeed = {
    subscribe: (channel) => {
      subscribed.push(channel);
      return new Promise<void>((resolve) => pending.push(resolve));
    },
    unsubscribe: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const fail = (): Promise<never> => Promise.reject(new Error('not in this test'));
  const node: RedisNode = {
    setNX: fail,
    evalsha: fail,
    eval: fail,
    listen: (message, down) => {
      onMessage = message;
      onDown = down;
      return feed;
    },
  };
  return {
    node,
    confirm: () => {
      for (const resolve of pending.splice(0)) resolve();
    },
    deliver: (channel, message) => onMessage(channel, message),
    drop: () => onDown?.(),
    subscribed,
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('tickets on the process channel', () => {
  test('none until the channel is confirmed; then each message reaches the waiter it names, once', async () => {
    const fake = fakeNode();
    const feed = new ChannelFeed(fake.node, ':filled');
    assert.equal(feed.ticket(), undefined, 'not subscribed');
    assert.equal(fake.subscribed.length, 0, 'a ticket alone subscribes nothing');
    feed.openTickets();
    feed.openTickets();
    assert.equal(feed.ticket(), undefined, 'not confirmed yet');
    assert.equal(fake.subscribed.length, 1);
    const [channel] = fake.subscribed as [string];
    fake.confirm();
    await tick();
    const [first, second] = [feed.ticket(), feed.ticket()];
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(first.channel, channel);
    assert.notEqual(first.id, second.id);
    fake.deliver(channel, `${String(second.id)} vhello world`);
    assert.equal(await second.next(10_000), 'vhello world');
    assert.equal(await first.next(1), 'timeout', 'a message for another waiter');
    first.close();
    first.close(); // idempotent
    fake.deliver(channel, `${String(first.id)} v`); // for a closed ticket: dropped
    assert.ok(first.unbroken() && second.unbroken());
    second.close();
    await feed.close();
  });

  test('a break: tickets issued before it are broken and told to look again; later ones are not', async () => {
    const fake = fakeNode();
    const feed = new ChannelFeed(fake.node, ':filled');
    feed.openTickets();
    const [channel] = fake.subscribed as [string];
    fake.confirm();
    await tick();
    const before = feed.ticket();
    assert.ok(before !== undefined);
    fake.drop();
    assert.equal(before.unbroken(), false);
    assert.equal(feed.ticket(), undefined, 'no ticket while the channel is down');
    fake.deliver(channel, ''); // resubscribed: what was published meanwhile is lost
    assert.equal(await before.next(10_000), '');
    assert.equal(before.unbroken(), false, 'still broken once the channel is back');
    const after = feed.ticket();
    assert.ok(after !== undefined && after.unbroken());
    before.close();
    after.close();
    await feed.close();
    assert.equal(after.unbroken(), false, 'closing the feed breaks every ticket');
  });
});
