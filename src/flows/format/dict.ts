/** `-o dict`: KEY: VALUE blocks separated by dashes, like Hubble's. */
import type { Flow } from '../flow.js';
import { endpointText, policyText, stampMilli, summaryText, typeText } from './common.js';

export function formatDict(f: Flow, o: { utc?: boolean } = {}): string {
  const rows: [string, string][] = [
    ['TIMESTAMP', stampMilli(f.time, o.utc)],
    ['SOURCE', endpointText(f.source)],
    ['DESTINATION', endpointText(f.destination)],
    ['TYPE', typeText(f).replace(/ (ALLOWED|DENIED)$/, '')],
    ['VERDICT', f.verdict],
    ['SUMMARY', summaryText(f)],
    ['NODE', f.node],
    ...(f.dropReason ? [['DROP REASON', f.dropReason] as [string, string]] : []),
    ['POLICIES', policyText(f) || '-'],
    ['REASON', f.reason],
    ...(f.suggestion ? [['FIX', f.suggestion] as [string, string]] : []),
    ...(f.disagreement ? [['DISAGREEMENT', f.disagreement] as [string, string]] : []),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padStart(w)}: ${v}`).join('\n');
}

export const DICT_SEPARATOR = '------------';
