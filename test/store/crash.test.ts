import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { repoRoot } from '../support/conformance-dir.js';

// Children run the built store (dist/), as the CLI and the agents do: `npm test` builds first.
const storeModule = join(repoRoot, 'dist/src/store/index.js');
const tmp = mkdtempSync(join(tmpdir(), 'podwall-crash-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Applies a batch of PODS pods per revision, all carrying the generation, forever; prints each revision. */
const WRITER = `
import { openStore } from ${JSON.stringify(storeModule)};
const [path, podsText, tag] = process.argv.slice(2);
const pods = Number(podsText);
const store = openStore(path);
for (let gen = 1; ; gen++) {
  const objects = [];
  for (let i = 0; i < pods; i++) {
    objects.push({ apiVersion: 'v1', kind: 'Pod', metadata: { name: tag + '-' + i, namespace: 'default', annotations: { gen: String(gen), pad: 'x'.repeat(512) } } });
  }
  const rev = store.apply(objects);
  process.stdout.write('rev ' + rev + '\\n');
  if (process.argv[5] && gen >= Number(process.argv[5])) break;
}
store.close();
`;

const script = join(tmp, 'writer.mjs');
writeFileSync(script, WRITER);

function startWriter(path: string, pods: number, tag: string, maxGen?: number): ChildProcess {
  if (!existsSync(storeModule)) throw new Error('dist/ is missing: run `npm test` (it builds first) or `npx tsc -p tsconfig.json`');
  return spawn(process.execPath, [script, path, String(pods), tag, ...(maxGen ? [String(maxGen)] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Resolves once the child has reported `n` committed revisions. */
function revisions(child: ChildProcess, n: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString().split('\n').filter((l) => l.startsWith('rev ')).length;
      if (seen >= n) resolve();
    });
    child.on('exit', (code) => (seen >= n ? resolve() : reject(new Error(`writer exited with ${code} after ${seen} revisions`))));
  });
}

const exited = (child: ChildProcess) => new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.on('exit', () => resolve())));

describe('sqlite store: crash safety', () => {
  it('a writer killed mid-apply never leaves half a revision', async () => {
    const path = join(tmp, 'crash', 'store.db');
    const PODS = 200;
    for (let round = 1; round <= 3; round++) {
      const child = startWriter(path, PODS, 'p');
      await revisions(child, 5 * round);
      child.kill('SIGKILL');
      await exited(child);

      const raw = new Database(path);
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      raw.close();
      const store = openStore(path);
      const { revision, objects } = store.list();
      const pods = objects.filter((o) => o.kind === 'Pod');
      expect(pods).toHaveLength(PODS);
      // Every pod of the last committed apply carries the same generation and that apply's revision.
      const gens = new Set(pods.map((p) => p.metadata.annotations?.gen));
      const revs = new Set(pods.map((p) => (p.metadata as { resourceVersion?: string }).resourceVersion));
      expect(gens.size).toBe(1);
      expect([...revs]).toEqual([String(revision)]);
      store.close();
    }
  });

  it('writers in two processes queue: no revision is lost', async () => {
    const path = join(tmp, 'two-writers', 'store.db');
    openStore(path).close();
    const a = startWriter(path, 20, 'a', 40);
    const b = startWriter(path, 20, 'b', 40);
    await Promise.all([exited(a), exited(b)]);
    expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
    const store = openStore(path);
    // 1 (the initial namespaces) + 40 applies by each writer, each its own revision
    expect(store.revision()).toBe(81);
    expect(store.list().objects.filter((o) => o.kind === 'Pod')).toHaveLength(40);
    store.close();
  });
});
