/** Observe's output formats, chosen in one place. */
import type { Flow } from '../flow.js';
import { formatCompact } from './compact.js';
import { DICT_SEPARATOR, formatDict } from './dict.js';
import { formatTable } from './table.js';

export const OUTPUTS = ['compact', 'dict', 'json', 'jsonpb', 'table'] as const;
export type Output = (typeof OUTPUTS)[number];

/** Text for a batch of flows (ends without a newline; empty for no flows). */
export function formatFlows(flows: readonly Flow[], output: Output, o: { utc?: boolean; nodeName?: boolean } = {}): string {
  switch (output) {
    case 'json':
    case 'jsonpb': return flows.map((f) => JSON.stringify(f)).join('\n');
    case 'compact': return flows.map((f) => formatCompact(f, o)).join('\n');
    case 'dict': return flows.map((f) => `${DICT_SEPARATOR}\n${formatDict(f, o)}`).join('\n');
    case 'table': return flows.length === 0 ? '' : formatTable(flows, o);
  }
}

export { formatCompact, formatDict, formatTable };
