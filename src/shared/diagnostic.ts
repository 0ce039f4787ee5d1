/** Where a diagnostic points in its source file (1-based line and column). */
export interface SourcePos {
  file: string;
  /** 0-based index of the YAML document in a multi-document file. */
  doc: number;
  line: number;
  col: number;
}

export type Severity = 'error' | 'warning' | 'info';

/** A finding about user input. `code` is stable; tests assert on code and path, never on prose. */
export interface Diagnostic {
  code: string;
  severity: Severity;
  message: string;
  /** Path inside the object, such as ['spec', 'ingress', 0, 'ports', 0, 'endPort']. */
  path: (string | number)[];
  source?: SourcePos;
}

/** `spec.ingress[0].ports[1]` from ['spec','ingress',0,'ports',1]. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

/** `file:line:col: error PW1203: message (at spec.x)` — the one way diagnostics are printed. */
export function formatDiagnostic(d: Diagnostic): string {
  const where = d.source ? `${d.source.file}:${d.source.line}:${d.source.col}: ` : '';
  const at = d.path.length > 0 ? `${formatPath(d.path)}: ` : '';
  return `${where}${d.severity} ${d.code}: ${at}${d.message}`;
}

export function hasErrors(ds: readonly Diagnostic[]): boolean {
  return ds.some((d) => d.severity === 'error');
}
