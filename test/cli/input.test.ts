import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSources } from '../../src/cli/input.js';
import { IoError } from '../../src/shared/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'podwall-input-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readSources', () => {
  it('walks directories recursively in name order, reading only manifest files, following links', () => {
    mkdirSync(join(dir, 'a/b'), { recursive: true });
    mkdirSync(join(dir, 'other'));
    writeFileSync(join(dir, 'a/2.yaml'), 'x');
    writeFileSync(join(dir, 'a/1.json'), 'x');
    writeFileSync(join(dir, 'a/b/3.YML'), 'x');
    writeFileSync(join(dir, 'a/notes.txt'), 'x');
    writeFileSync(join(dir, 'other/4.yaml'), 'x');
    symlinkSync(join(dir, 'other'), join(dir, 'a/link'));
    const files = readSources([join(dir, 'a')]).map((s) => s.file.slice(dir.length + 1));
    expect(files).toEqual(['a/1.json', 'a/2.yaml', 'a/b/3.YML', 'a/link/4.yaml']);
  });

  it('names the missing path in an I/O error', () => {
    expect(() => readSources([join(dir, 'nope.yaml')])).toThrow(IoError);
  });
});
