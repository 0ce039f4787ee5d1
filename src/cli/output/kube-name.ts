import type { ApiObject } from '../../api/types.js';
import { refOf } from '../resources.js';

/** `-o name`: `pod/client`, `networkpolicy.networking.k8s.io/demo-policy`, one a line. */
export function formatNames(objects: readonly ApiObject[]): string {
  return objects.map((o) => `${refOf(o)}\n`).join('');
}
