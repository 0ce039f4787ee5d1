import type { Matrix } from '../../engine/matrix.js';
import { allPairs, type MatrixReport } from './matrix-report.js';
import { paint } from '../tty.js';
import { csvField } from './csv.js';

function cell(m: Matrix, i: number, j: number): string {
  if (i === j) return '#';
  return m.allowed(i, j) ? '.' : 'X';
}

function countAllowed(report: MatrixReport, m: Matrix): { allowed: number; total: number } {
  let allowed = 0;
  const n = report.pods.length;
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && m.allowed(i, j)) allowed++;
  return { allowed, total: n * (n - 1) };
}

/** Cyclonus-style truth table per port: rows are sources, columns destinations. */
export function formatTxt(report: MatrixReport, color: boolean): string {
  const ids = report.pods.map((p) => p.id);
  const w = Math.max(4, ...ids.map((s) => s.length));
  const pad = (s: string) => s.padEnd(w);
  const sep = `+${['', ...ids].map(() => '-'.repeat(w + 2)).join('+')}+`;
  const out: string[] = [];
  for (const m of report.matrices) {
    const { allowed, total } = countAllowed(report, m);
    out.push(`${m.port}/${m.protocol}: ${allowed} of ${total} pod pairs allowed   (. allowed  X denied  # same pod; rows: from, columns: to)`);
    out.push(sep, `| ${[pad('from\\to'), ...ids.map(pad)].join(' | ')} |`, sep);
    ids.forEach((id, i) => {
      const cells = ids.map((_, j) => {
        const c = cell(m, i, j);
        return paint(pad(c), c === 'X' ? 'red' : c === '.' ? 'green' : 'dim', color);
      });
      out.push(`| ${[pad(id), ...cells].join(' | ')} |`);
    });
    out.push(sep, '');
  }
  if (report.denied && report.denied.length > 0) {
    out.push('Denied pairs:');
    for (const d of report.denied) {
      out.push(`  ${d.flow}: ${d.explanation}`);
      if (d.fix) out.push(`    ${paint('to allow:', 'cyan', color)} podwall ${d.fix}`);
    }
    out.push('');
  }
  return out.join('\n');
}

export function formatMd(report: MatrixReport): string {
  const ids = report.pods.map((p) => p.id);
  const out: string[] = [];
  for (const m of report.matrices) {
    const { allowed, total } = countAllowed(report, m);
    out.push(`### ${m.port}/${m.protocol}`, '', `${allowed} of ${total} pod pairs allowed (\`.\` allowed, \`X\` denied, \`#\` same pod; rows: from, columns: to)`, '');
    out.push(`| from \\ to | ${ids.join(' | ')} |`, `|---|${ids.map(() => ':-:').join('|')}|`);
    ids.forEach((id, i) => out.push(`| ${id} | ${ids.map((_, j) => cell(m, i, j)).join(' | ')} |`));
    out.push('');
  }
  return out.join('\n');
}

export function formatCsv(report: MatrixReport): string {
  const lines = ['from,to,port,protocol,allowed,reason,explanation'];
  for (const p of allPairs(report)) {
    lines.push([p.from, p.to, String(p.port), p.protocol, String(p.allowed), p.reason, p.explanation].map(csvField).join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** `{"probes":[...]}`, one entry per ordered pair per port, streamed line by line to stay small in memory. */
export function* formatJson(report: MatrixReport): Generator<string> {
  yield '{"probes":[';
  let first = true;
  for (const p of allPairs(report)) {
    yield `${first ? '' : ',\n'}${JSON.stringify(p)}`;
    first = false;
  }
  yield ']}\n';
}

/** Graphviz: pods grouped by namespace, one edge per allowed ordered pair labelled with its ports. */
export function formatDot(report: MatrixReport): string {
  const out = ['digraph podwall {', '  rankdir=LR;', '  node [shape=box, style=rounded, fontname="Helvetica"];'];
  const byNs = new Map<string, number[]>();
  report.pods.forEach((p, i) => byNs.set(p.namespace, [...(byNs.get(p.namespace) ?? []), i]));
  let k = 0;
  for (const [ns, idx] of byNs) {
    out.push(`  subgraph cluster_${k++} {`, `    label=${JSON.stringify(ns)};`);
    for (const i of idx) out.push(`    ${JSON.stringify(report.pods[i]!.id)} [label=${JSON.stringify(report.pods[i]!.name)}];`);
    out.push('  }');
  }
  for (let i = 0; i < report.pods.length; i++) {
    for (let j = 0; j < report.pods.length; j++) {
      if (i === j) continue;
      const ports = report.matrices.filter((m) => m.allowed(i, j)).map((m) => `${m.port}/${m.protocol}`);
      if (ports.length > 0) out.push(`  ${JSON.stringify(report.pods[i]!.id)} -> ${JSON.stringify(report.pods[j]!.id)} [label=${JSON.stringify(ports.join(','))}];`);
    }
  }
  out.push('}', '');
  return out.join('\n');
}
