/** `-o compact` (the default): Hubble's line, then podwall's reason line. */
import type { Flow } from '../flow.js';
import { endpointText, reasonText, stampMilli, summaryText, typeText } from './common.js';

export interface CompactOptions {
  utc?: boolean;
  nodeName?: boolean;
}

export function formatCompact(f: Flow, o: CompactOptions = {}): string {
  const node = o.nodeName ? ` [${f.node}]` : '';
  const head = `${stampMilli(f.time, o.utc)}${node}: ${endpointText(f.source)} -> ${endpointText(f.destination)} ${typeText(f)} (${summaryText(f)})`;
  return `${head}\n    ${reasonText(f)}`;
}
