import type * as z from 'zod';
import type { Diagnostic } from '../../../shared/diagnostic.js';
import type { Path } from '../../source.js';
import { diagnostic } from '../context.js';

type Issue = z.core.$ZodIssue;

/** All numbers in podwall's schemas are integers (ports, counts). */
const EXPECTED: Record<string, string> = {
  int: 'an integer', number: 'an integer', string: 'a string', boolean: 'a boolean (true or false)',
  array: 'a list', object: 'an object', record: 'an object (map)',
};

function expectedName(e: string): string {
  return EXPECTED[e] ?? e;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'number') return Number.isInteger(v) ? `the integer ${v}` : `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function hasInput(issue: Issue): boolean {
  return 'input' in issue && issue.input !== undefined && issue.input !== null;
}

/** A missing (or null) required field is reported on its parent object, which is where it is missing. */
function missing(path: Path): Diagnostic {
  const field = path[path.length - 1];
  return diagnostic('PW1103', path.slice(0, -1), { field: String(field ?? '') });
}

function unionExpected(issue: Issue & { code: 'invalid_union' }): string {
  const names = issue.errors.flat()
    .filter((e) => e.code === 'invalid_type' && e.path.length === 0)
    .map((e) => expectedName((e as { expected: string }).expected));
  return [...new Set(names)].join(' or ') || 'a valid value';
}

/** One zod issue → diagnostics with the issue's path (relative to the document's object). */
export function issueDiagnostics(issue: Issue): Diagnostic[] {
  const path = issue.path.map((p) => (typeof p === 'number' ? p : String(p)));
  const input = (issue as { input?: unknown }).input;
  if (issue.message === '@PW1105' && typeof input === 'number') return [diagnostic('PW1105', path, { value: input })];
  switch (issue.code) {
    case 'invalid_type':
      // A null list item (`- ` with nothing after it) is a wrong value, not a missing field.
      if (!hasInput(issue) && typeof path[path.length - 1] !== 'number') return [missing(path)];
      return [diagnostic('PW1101', path, { expected: expectedName(issue.expected), received: describe(input) })];
    case 'unrecognized_keys':
      return issue.keys.map((k) => diagnostic('PW1102', [...path, k], { field: k }));
    case 'invalid_value':
      return [diagnostic('PW1104', path, { value: String(input), allowed: issue.values.map(String) })];
    case 'invalid_union':
      if (!hasInput(issue)) return [missing(path)];
      return [diagnostic('PW1101', path, { expected: unionExpected(issue), received: describe(input) })];
    default:
      return [diagnostic('PW1101', path, { expected: 'a valid value', received: describe(input) })];
  }
}
