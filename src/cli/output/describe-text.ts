import type { ApiObject } from '../../api/types.js';
import type { PortMatch, Rule } from '../../engine/policy.js';

/**
 * The text machinery of `kubectl describe`: lines whose cells are separated by tabs, aligned as Go's
 * text/tabwriter does with padding 2 (each column block is a run of consecutive lines that have that cell).
 */
export function tabwrite(lines: readonly string[]): string {
  const cells = lines.map((l) => l.split('\t'));
  const maxCols = Math.max(0, ...cells.map((c) => c.length - 1));
  const width: number[][] = cells.map(() => []);
  for (let col = 0; col < maxCols; col++) {
    let start = 0;
    while (start < cells.length) {
      if (cells[start]!.length - 1 <= col) {
        start++;
        continue;
      }
      let end = start;
      while (end < cells.length && cells[end]!.length - 1 > col) end++;
      const w = Math.max(...cells.slice(start, end).map((c) => c[col]!.length)) + 2;
      for (let i = start; i < end; i++) width[i]![col] = w;
      start = end;
    }
  }
  return cells.map((c, i) => c.map((cell, j) => (j < c.length - 1 ? cell.padEnd(width[i]![j]!) : cell)).join('')).join('\n') + '\n';
}

/** `Labels:\tapp=server` then one `\tk=v` line per further label; `<none>` when empty (printLabelsMultiline). */
export function multiline(title: string, map: Record<string, string> | undefined, indent = ''): string[] {
  const entries = Object.entries(map ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (entries.length === 0) return [`${indent}${title}:\t<none>`];
  return entries.map(([k, v], i) => `${i === 0 ? `${indent}${title}:` : ''}\t${k}=${v}`);
}

/** A list under a title, one item a line (`Selected pods:\tdemo/server`). */
export function listLines(title: string, items: readonly string[], indent = ''): string[] {
  if (items.length === 0) return [`${indent}${title}:\t<none>`];
  return items.map((item, i) => `${i === 0 ? `${indent}${title}:` : ''}\t${item}`);
}

export function creationTime(o: ApiObject): string | undefined {
  return (o.metadata as { creationTimestamp?: string }).creationTimestamp;
}

/** Go's time.Time String() in UTC, as kubectl prints `Created on:`: `2024-01-02 15:04:05 +0000 UTC`. */
export function goTime(ts: string | undefined): string {
  if (!ts || Number.isNaN(Date.parse(ts))) return '<unknown>';
  return `${new Date(ts).toISOString().slice(0, 19).replace('T', ' ')} +0000 UTC`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 1123 with numeric zone, as kubectl prints `Start Time:`: `Mon, 02 Jan 2006 15:04:05 +0000`. */
export function rfc1123z(ts: string | undefined): string {
  if (!ts || Number.isNaN(Date.parse(ts))) return '<unknown>';
  const d = new Date(ts);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

/** `80/TCP`, `8000-8080/TCP`, `http/TCP`, `<any>/UDP`; protocols joined for Cilium's ANY. */
export function portText(p: PortMatch): string {
  const what = p.range ? (p.range.from === p.range.to ? String(p.range.from) : `${p.range.from}-${p.range.to}`) : p.name ?? '<any>';
  return `${what}/${p.protocols.join(',')}`;
}

/**
 * One normalised rule in `kubectl describe networkpolicy`'s words, at `indent`: its ports, then its peers
 * under `From:` (ingress) or `To:` (egress), and the DNS names an L7 DNS rule lets the proxy see.
 */
export function ruleLines(rule: Rule, indent: string): string[] {
  const out: string[] = [];
  if (rule.ports === null) out.push(`${indent}To Port: <any> (traffic allowed to all ports)`);
  else for (const p of rule.ports) out.push(`${indent}To Port: ${portText(p)}`);
  const side = rule.direction === 'ingress' ? 'From' : 'To';
  if (rule.peers.length === 0) out.push(`${indent}${side}: <none> (the empty rule selects no peer)`);
  else if (rule.peers.length === 1 && rule.peers[0]!.type === 'any') out.push(`${indent}${side}: <any> (traffic not restricted by ${rule.direction === 'ingress' ? 'source' : 'destination'})`);
  else {
    out.push(`${indent}${side}:`);
    for (const peer of rule.peers) out.push(`${indent}  ${peer.text}`);
  }
  if (rule.dns) out.push(`${indent}DNS proxy: ${rule.dns.map((m) => m.text).join(', ')}`);
  return out;
}

/** Rules with a `----------` between them, as kubectl separates the rules of one direction. */
export function rulesLines(rules: readonly Rule[], indent: string): string[] {
  return rules.flatMap((r, i) => [...ruleLines(r, indent), ...(i < rules.length - 1 ? [`${indent}----------`] : [])]);
}
