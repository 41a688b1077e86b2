/** Which library a hot-key run uses, as data, so a child process can build the same one. */
import type { Redis } from 'ioredis';
import { PEERS, peerLibrary, redsyncLibrary, redsyncName, type LockLibrary, type PeerName, type RedsyncVariant, type Variant } from './libraries.js';
import { notifyFloorLibrary } from './notify-floor.js';

export type LibrarySpec =
  | { readonly kind: 'floor' }
  | { readonly kind: 'redsync-ts'; readonly variant?: RedsyncVariant }
  | { readonly kind: 'peer'; readonly peer: PeerName; readonly variant: Variant }
  /** Even processes run redsync-ts, odd ones poll as go-redsync does: the fairness row. */
  | { readonly kind: 'mixed' };

/** Every library of the hot-key rows: the floor, redsync-ts, each peer with defaults and tuned. */
export const HOT_KEY_SPECS: readonly LibrarySpec[] = [
  { kind: 'floor' },
  { kind: 'redsync-ts' },
  { kind: 'redsync-ts', variant: { fair: true } },
  ...PEERS.flatMap((peer) => (['default', 'tuned'] as const).map((variant) => ({ kind: 'peer' as const, peer, variant }))),
];

export function specName(spec: LibrarySpec): string {
  if (spec.kind === 'floor') return 'notification floor';
  if (spec.kind === 'redsync-ts') return redsyncName(spec.variant);
  if (spec.kind === 'mixed') return 'redsync-ts beside go-redsync-like pollers';
  return `${spec.peer}${spec.variant === 'tuned' ? ' (tuned)' : ''}`;
}

export function openLibrary(spec: LibrarySpec, clients: readonly Redis[], proc = 0): Promise<LockLibrary> {
  if (spec.kind === 'floor') return notifyFloorLibrary(clients[0] as Redis);
  if (spec.kind === 'redsync-ts') return Promise.resolve(redsyncLibrary(clients, true, spec.variant));
  if (spec.kind === 'mixed') return Promise.resolve(redsyncLibrary(clients, true, { deaf: proc % 2 === 1 }));
  return Promise.resolve(peerLibrary(spec.peer, clients, spec.variant));
}
