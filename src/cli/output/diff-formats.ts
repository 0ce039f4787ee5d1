import type { VerdictChange, VerdictDiff } from '../../engine/diff.js';
import { paint } from '../tty.js';
import { csvField } from './csv.js';

const verdict = (allowed: boolean) => (allowed ? 'allowed' : 'denied');

function counts(d: VerdictDiff): string {
  const allowed = d.changes.filter((c) => c.new.allowed).length;
  const denied = d.changes.length - allowed;
  const n = d.changes.length;
  const ports = d.ports.length;
  return `${n} change${n === 1 ? '' : 's'} (${allowed} newly allowed, ${denied} newly denied) among ${d.compared.length} pods on ${ports} port${ports === 1 ? '' : 's'}`;
}

function podsOnlyLines(d: VerdictDiff): string[] {
  const out: string[] = [];
  if (d.removed.length > 0) out.push(`pods only in old (removed): ${d.removed.join(', ')}`);
  if (d.added.length > 0) out.push(`pods only in new (added): ${d.added.join(', ')}`);
  return out;
}

/** np-guard style: one line per change, pods on one side only, then the count (or `no changes`). */
export function formatDiffTxt(d: VerdictDiff, color: boolean): string {
  const lines = d.changes.map((c) => {
    const now = paint(verdict(c.new.allowed), c.new.allowed ? 'green' : 'red', color);
    return `${c.from} -> ${c.to} ${c.port}/${c.protocol}: ${verdict(c.old.allowed)} -> ${now} (${c.new.explanation})`;
  });
  const pods = podsOnlyLines(d);
  const out = [...lines];
  if (pods.length > 0) out.push(...(out.length > 0 ? [''] : []), ...pods);
  out.push(...(out.length > 0 ? [''] : []), d.changes.length === 0 ? 'no changes' : counts(d));
  return `${out.join('\n')}\n`;
}

function jsonChange(c: VerdictChange): unknown {
  return { from: c.from, to: c.to, port: c.port, protocol: c.protocol, old: c.old, new: c.new };
}

/** `{"changes":[{from,to,port,protocol,old:{allowed,reason,explanation},new:{...}}],"added":[],"removed":[]}`. */
export function formatDiffJson(d: VerdictDiff): string {
  return `${JSON.stringify({ changes: d.changes.map(jsonChange), added: d.added, removed: d.removed }, null, 2)}\n`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|');

export function formatDiffMd(d: VerdictDiff): string {
  const out = ['### Verdict changes', ''];
  if (d.changes.length === 0) out.push('no changes', '');
  else {
    out.push('| from | to | port | old | new | why (new) |', '|---|---|---|---|---|---|');
    for (const c of d.changes) {
      out.push(`| ${c.from} | ${c.to} | ${c.port}/${c.protocol} | ${verdict(c.old.allowed)} | **${verdict(c.new.allowed)}** | ${mdCell(c.new.explanation)} |`);
    }
    out.push('', counts(d), '');
  }
  if (d.removed.length > 0 || d.added.length > 0) {
    out.push('### Pods on one side only', '');
    for (const id of d.removed) out.push(`- removed: ${id}`);
    for (const id of d.added) out.push(`- added: ${id}`);
    out.push('');
  }
  return out.join('\n');
}

/** One row per change; pods on one side only are not pairs and are left out. */
export function formatDiffCsv(d: VerdictDiff): string {
  const lines = ['from,to,port,protocol,old_allowed,old_reason,new_allowed,new_reason,old_explanation,new_explanation'];
  for (const c of d.changes) {
    lines.push([
      c.from, c.to, String(c.port), c.protocol, String(c.old.allowed), c.old.reason, String(c.new.allowed), c.new.reason,
      c.old.explanation, c.new.explanation,
    ].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}
