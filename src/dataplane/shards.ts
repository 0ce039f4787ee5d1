/**
 * The `egress` and `ingress` sets in shards by subject (the local pod class whose side it is): a
 * packet goes through a verdict map on its subject's id to its shard's chain, which looks the flow up
 * in that shard's set only. Both costs of a concatenated interval set (pipapo) grow with its size: the
 * lookup of every new connection, and each transaction that changes it (nft 1.0.6 reads the touched
 * set's elements into its cache, and the kernel's delete walks the set). A shard holds about 1/64 of them.
 *
 * The shard of an id is fixed by the id alone, `(id >> SHARD_BLOCK_BITS) & 63`, so the table's shape
 * (sets, chains) never changes with the cluster and a pass stays a diff of elements. Blocks of
 * consecutive ids would keep runs of subjects with the same flows in one element (elements.ts), but the
 * subjects (a node's own pod classes) are the lowest ids: with blocks of 16, 133 subjects filled 5 of the
 * 64 shards (bench:dataplane), with blocks of 1 all of them, for 1.7 times the elements in all.
 */
import type { Direction } from '../engine/policy.js';
import type { Group } from './elements.js';
import type { Element } from './ruleset.js';

/** Ids per block, as a power of two: 0, each id its own block. */
export const SHARD_BLOCK_BITS = 0;
export const SHARD_COUNT = 64;
export const SHARD_MASK = SHARD_COUNT - 1;

/** The shard of a subject id. */
export const shardOf = (id: number): number => (id >>> SHARD_BLOCK_BITS) & SHARD_MASK;

export const shardSetName = (dir: Direction, k: number): string => `${dir}_${k}`;
export const shardChainName = (dir: Direction, k: number): string => `${dir}_check_${k}`;
export const shardMapName = (dir: Direction): string => `${dir}_shards`;

const SHARD_SET = /^(egress|ingress)_(\d+)$/;

/** The direction whose allowed flows the set holds, when it is one of the shard sets. */
export function shardSetDirection(name: string): Direction | null {
  const m = SHARD_SET.exec(name);
  return m && Number(m[2]) < SHARD_COUNT ? (m[1] as Direction) : null;
}

/** The verdict map's elements: shard k → `goto <dir>_check_k`. */
export function shardMapElements(dir: Direction): Element[] {
  return Array.from({ length: SHARD_COUNT }, (_, k) => ({ key: [k], goto: shardChainName(dir, k) }));
}

/** What a pass leaves for the next: each shard's elements, and the keys of the groups they were made of. */
export interface ShardMemo {
  elements: readonly (readonly Element[])[];
  groups: readonly (readonly string[])[];
}

/**
 * The groups' elements by the shard of their subject (a group's subjects lie in one block: `rowGroups`
 * with SHARD_BLOCK_BITS). A shard made of the same groups as in `prev` keeps prev's array, which lets
 * nft/diff.ts skip it without comparing; only changed shards are put together again.
 */
export function shardGroups(groups: readonly Group[], prev?: ShardMemo): ShardMemo {
  const byShard: Group[][] = Array.from({ length: SHARD_COUNT }, () => []);
  for (const g of groups) byShard[shardOf(g.subject)]!.push(g);
  const keys = byShard.map((list) => list.map((g) => g.key));
  const elements = byShard.map((list, k) => {
    const before = prev?.groups[k];
    const same = before !== undefined && before.length === list.length && list.every((g, i) => g.reused && g.key === before[i]);
    return same ? prev!.elements[k]! : list.flatMap((g) => g.elements);
  });
  return { elements, groups: keys };
}
