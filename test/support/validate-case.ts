import { expect } from 'vitest';
import { loadManifests } from '../../src/api/load.js';
import type { Path } from '../../src/api/source.js';
import { CODES, type DiagnosticCode } from '../../src/api/validate/codes.js';

/** One validation case: the text of `p.yaml` must yield `code` at `path`, line and column. */
export interface Case { name: string; code: DiagnosticCode; text: string; path: Path; line: number; col: number }

/** Assert the diagnostic, and that a document with an error yields no object. */
export function expectCase(c: Case): void {
  const res = loadManifests([{ file: 'p.yaml', text: c.text }]);
  const got = res.diagnostics.map((d) => ({ code: d.code, path: d.path, line: d.source?.line, col: d.source?.col }));
  expect(got).toContainEqual({ code: c.code, path: c.path, line: c.line, col: c.col });
  if (CODES[c.code].severity === 'error') expect(res.objects).toEqual([]);
}
