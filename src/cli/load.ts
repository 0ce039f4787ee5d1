import { loadManifests, type LoadResult } from '../api/load.js';
import { parseHosts, type DnsAnswers } from '../api/hosts.js';
import { formatDiagnostic, type Diagnostic } from '../shared/diagnostic.js';
import { EXIT, ExitError, UsageError } from '../shared/errors.js';
import { readSources, readText } from './input.js';
import { paint, useColor } from './tty.js';

/** Skipped kinds as one note per kind (`kubectl get all -o yaml` has hundreds), the rest one line each. */
function skippedNotes(ds: readonly Diagnostic[]): string[] {
  const byKind = new Map<string, number>();
  for (const d of ds) {
    if (d.code !== 'PW1003') continue;
    const kind = /skipped (\S+ [^:\s]+)/.exec(d.message)?.[1] ?? 'objects';
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }
  return [...byKind].map(([kind, n]) => `note: skipped ${n} ${kind} object(s): not a kind podwall reads`);
}

export function printDiagnostics(ds: readonly Diagnostic[]): void {
  const color = useColor(process.stderr);
  for (const note of skippedNotes(ds)) process.stderr.write(`${paint(note, 'dim', color)}\n`);
  for (const d of ds) {
    if (d.code === 'PW1003') continue;
    const line = formatDiagnostic(d);
    const c = d.severity === 'error' ? 'red' : d.severity === 'warning' ? 'yellow' : 'dim';
    process.stderr.write(`${paint(line, c, color)}\n`);
  }
}

/** Load `-f` paths; print diagnostics; stop with exit 1 if any error (nothing is analysed from bad input). */
export function loadOrExit(paths: readonly string[] | undefined, namespace?: string): LoadResult {
  if (!paths || paths.length === 0) throw new UsageError('no input: give -f FILE|DIR|- (repeatable)');
  const res = loadManifests(readSources(paths), { namespace });
  printDiagnostics(res.diagnostics);
  const errors = res.diagnostics.filter((d) => d.severity === 'error').length;
  if (errors > 0) throw new ExitError(EXIT.diagnostics, `${errors} error(s) in the input; nothing was analysed`);
  return res;
}

export function loadAnswers(file: string | undefined): DnsAnswers {
  if (!file) return new Map();
  const res = parseHosts(readText(file), file);
  printDiagnostics(res.diagnostics);
  if (res.diagnostics.some((d) => d.severity === 'error')) throw new ExitError(EXIT.diagnostics, `invalid DNS answers in ${file}`);
  return res.answers;
}

/** `80/TCP,53/UDP` (protocol defaults to TCP). */
export function parsePortList(text: string): { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }[] {
  return text.split(',').map((s) => parsePort(s.trim()));
}

export function parsePort(text: string): { port: number; protocol: 'TCP' | 'UDP' | 'SCTP' } {
  const m = /^(\d{1,5})(?:\/(tcp|udp|sctp))?$/i.exec(text);
  const port = m ? Number(m[1]) : NaN;
  if (!m || port < 1 || port > 65535) throw new UsageError(`invalid port "${text}": expected N or N/PROTO, N in 1-65535, PROTO one of TCP, UDP, SCTP`);
  return { port, protocol: (m[2]?.toUpperCase() ?? 'TCP') as 'TCP' | 'UDP' | 'SCTP' };
}

export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
