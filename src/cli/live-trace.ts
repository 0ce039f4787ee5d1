import { join } from 'node:path';
import type { DnsAnswers } from '../api/hosts.js';
import { loadManifests, type LoadResult } from '../api/load.js';
import { readCaches } from '../fqdn/proxy/cache-view.js';
import { readJson } from '../fqdn/proxy/files.js';
import { labContext } from '../lab/names.js';
import { IoError } from '../shared/errors.js';
import { defaultStorePath, openStore } from '../store/index.js';
import { existsSync } from 'node:fs';

/**
 * `policy trace` on the live lab (no -f): the objects of the lab's store, and as DNS knowledge what the
 * nodes' DNS proxies really learned (their caches): each pod's looked-up names and the answered IPs.
 */
export async function liveTraceInput(): Promise<{ loaded: LoadResult; answers: DnsAnswers; lookups: Map<string, Set<string>> }> {
  const ctx = labContext();
  const path = defaultStorePath();
  if (!existsSync(path)) throw new IoError(`no lab store at ${path}: give -f FILE, or run \`podwall lab up\``);
  const store = openStore(path);
  let text: string;
  try {
    text = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: store.list().objects });
  } finally {
    store.close();
  }
  const loaded = loadManifests([{ file: `lab store (${path})`, text }]);
  const info = readJson(join(ctx.stateDir, 'lab.json')) as { nodes?: { name: string }[] } | null;
  const { rows } = await readCaches(ctx.stateDir, (info?.nodes ?? []).map((n) => n.name));
  const answers: DnsAnswers = new Map();
  const lookups = new Map<string, Set<string>>();
  for (const r of rows) {
    answers.set(r.fqdn, [...new Set([...(answers.get(r.fqdn) ?? []), ...r.ips])]);
    lookups.set(r.pod, (lookups.get(r.pod) ?? new Set()).add(r.fqdn));
  }
  return { loaded, answers, lookups };
}
