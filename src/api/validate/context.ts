import type { Diagnostic } from '../../shared/diagnostic.js';
import type { Path } from '../source.js';
import { CODES, type DiagnosticCode } from './codes.js';
import { MESSAGES, type MessageParams } from './messages.js';

export type Obj = Record<string, unknown>;

/** Build a diagnostic: severity from codes.ts, wording from messages.ts. */
export function diagnostic<C extends DiagnosticCode>(code: C, path: Path, params: MessageParams[C]): Diagnostic {
  return { code, severity: CODES[code].severity, message: MESSAGES[code](params), path };
}

/** What a semantic rule sees: the raw object (types not guaranteed) and a way to report. */
export interface RuleContext {
  readonly kind: string;
  readonly root: Obj;
  report<C extends DiagnosticCode>(code: C, path: Path, params: MessageParams[C]): void;
}

/** A semantic check. Rules never throw and never stop the others: they read defensively and report. */
export type Rule = (ctx: RuleContext) => void;

export function createContext(kind: string, root: Obj, out: Diagnostic[]): RuleContext {
  return { kind, root, report: (code, path, params) => out.push(diagnostic(code, path, params)) };
}

// ---- defensive accessors: rules also run on documents with structural errors ----------------------

export function obj(v: unknown): Obj | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined;
}

/** The array, or [] for anything else (absent, null, wrong type: the schema reports those). */
export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

export function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

/** Present in the Kubernetes sense: neither omitted nor null. */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null;
}

/** A list with at least one entry (Cilium counts members with len() > 0). */
export function nonEmpty(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

/** Entries of a string map, skipping non-string values (the schema reports those). */
export function stringEntries(v: unknown): [string, string][] {
  return Object.entries(obj(v) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
}
