import type { ApiObject } from '../../api/types.js';
import { sortKeys } from '../../store/index.js';

/** What `-o json|yaml` prints: the object for one NAME, else a List (kubectl's shape, keys sorted as kubectl sorts them). */
export function listOrObject(objects: readonly ApiObject[], single: boolean): unknown {
  const value = single && objects.length === 1 ? objects[0] : { apiVersion: 'v1', items: objects, kind: 'List', metadata: { resourceVersion: '' } };
  return sortKeys(JSON.parse(JSON.stringify(value)));
}

/** `-o json`: four-space indent, as kubectl prints. */
export function formatJson(objects: readonly ApiObject[], single: boolean): string {
  return `${JSON.stringify(listOrObject(objects, single), null, 4)}\n`;
}
