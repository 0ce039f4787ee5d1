/** `-o table`: Hubble's columns plus REASON, aligned over the whole batch (so not for --follow). */
import type { Flow } from '../flow.js';
import { endpointText, reasonText, stampMilli, summaryText, typeText } from './common.js';

export const TABLE_HEADER = ['TIMESTAMP', 'SOURCE', 'DESTINATION', 'TYPE', 'VERDICT', 'SUMMARY', 'REASON'];

export function tableRow(f: Flow, o: { utc?: boolean } = {}): string[] {
  return [stampMilli(f.time, o.utc), endpointText(f.source), endpointText(f.destination), typeText(f).replace(/ (ALLOWED|DENIED)$/, ''), f.verdict, summaryText(f), reasonText(f)];
}

export function formatTable(flows: readonly Flow[], o: { utc?: boolean } = {}): string {
  const rows = [TABLE_HEADER, ...flows.map((f) => tableRow(f, o))];
  const widths = TABLE_HEADER.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('').trimEnd()).join('\n');
}
