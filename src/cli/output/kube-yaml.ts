import { stringify } from 'yaml';
import type { ApiObject } from '../../api/types.js';
import { listOrObject } from './kube-json.js';

/** `-o yaml`: block style, sequences not indented under their key, YAML 1.1 quoting ("yes", timestamps), as kubectl prints. */
export function formatYaml(objects: readonly ApiObject[], single: boolean): string {
  return stringify(listOrObject(objects, single), { indentSeq: false, lineWidth: 0, schema: 'yaml-1.1' });
}
