/**
 * The `egress` and `ingress` sets in shards by subject (the local pod class whose side it is): a
 * packet goes through a verdict map on its subject's id to its shard's chain, which looks the flow up
 * in that shard's set only. Both costs of a concatenated interval set (pipapo) grow with its size: the
 * lookup of every new connection, and each transaction that changes it (nft 1.0.6 reads the touched
 * set's elements into its cache, and the kernel's delete walks the set). A shard holds about 1/64 of them.
 *
 * The shard of an id is fixed by the id alone, `(id >> 4) & 63`, so the table's shape (sets, chains) never
 * changes with the cluster and a pass stays a diff of elements. Blocks of 16 consecutive ids share a
 * shard: consecutive subjects with the same flows still share one element (elements.ts).
 */
import type { Direction } from '../engine/policy.js';
import { bounds, type Element } from './ruleset.js';

export const SHARD_BLOCK_BITS = 4;
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

/** The subject field of an element: the source at egress, the destination at ingress (elements are source first). */
const subjectOf = (e: Element, dir: Direction) => bounds(e.key[dir === 'egress' ? 0 : 1]!)[0];

/**
 * `elements` by the shard of their subject (their subject range lies in one block: elements.ts cuts
 * runs there). A shard whose elements are the same objects as in `prev` keeps prev's array, which lets
 * nft/diff.ts skip it without comparing.
 */
export function shardElements(elements: readonly Element[], dir: Direction, prev?: readonly (readonly Element[])[]): Element[][] {
  const out: Element[][] = Array.from({ length: SHARD_COUNT }, () => []);
  for (const e of elements) out[shardOf(subjectOf(e, dir))]!.push(e);
  return out.map((list, k) => {
    const before = prev?.[k];
    return before && before.length === list.length && before.every((e, i) => e === list[i]) ? (before as Element[]) : list;
  });
}
