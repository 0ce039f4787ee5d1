import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ManifestSource } from '../api/load.js';
import { IoError } from '../shared/errors.js';

const MANIFEST = /\.(ya?ml|json)$/i;

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((e) => {
      const p = join(dir, e.name);
      // Follow symlinks, so example folders can share files.
      const isDir = e.isDirectory() || (e.isSymbolicLink() && statSync(p).isDirectory());
      if (isDir) return walk(p);
      return MANIFEST.test(e.name) ? [p] : [];
    });
}

/** Read `-f` arguments: files, directories (recursively, *.yaml|*.yml|*.json) and `-` for stdin. */
export function readSources(paths: readonly string[]): ManifestSource[] {
  const out: ManifestSource[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ file: '<stdin>', text: readFileSync(0, 'utf8') });
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch (cause) {
      throw new IoError(`${p}: no such file or directory`, { cause });
    }
    const files = st.isDirectory() ? walk(p) : [p];
    for (const f of files) {
      try {
        out.push({ file: f, text: readFileSync(f, 'utf8') });
      } catch (cause) {
        throw new IoError(`${f}: cannot read`, { cause });
      }
    }
  }
  return out;
}

export function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new IoError(`${path}: cannot read`, { cause });
  }
}
