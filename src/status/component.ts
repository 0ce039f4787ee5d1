import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The status-file contract for the lab's optional components (DNS proxy, flow reader, UI): each reports
 * itself by writing `<stateDir>/<component>-<node>.json` (per node) or `<stateDir>/<component>.json`
 * (one per lab, e.g. the UI), atomically, whenever its state changes, and removes it on a clean stop.
 * `podwall status` reads these files: no file means the component is disabled; a file whose process is
 * gone means it died ("not running"). The agent's own file (src/agent/status.ts) follows the same idea.
 */

export const COMPONENTS = ['dnsproxy', 'flows', 'ui'] as const;
export type ComponentName = (typeof COMPONENTS)[number];

export const COMPONENT_TITLES: Record<ComponentName, string> = { dnsproxy: 'DNS proxy', flows: 'Flow reader', ui: 'UI' };

export interface ComponentStatus {
  component: ComponentName;
  /** Per-node components; absent for one-per-lab components (ui). */
  node?: string;
  pid: number;
  /** What the component says of itself; `podwall status` also checks that `pid` is alive. */
  state: 'ok' | 'degraded' | 'failed';
  /** One line shown after the state, e.g. "listening on 127.0.0.1:53000, 12 names cached" or the last error. */
  message?: string;
  /** Where it serves, when it does (e.g. `http://127.0.0.1:4245`). */
  endpoint?: string;
  /** Counters worth showing (flows seen, lost, queries), shown as `key=value` and kept in `-o json`. */
  details?: Record<string, string | number | boolean | null>;
  updatedAt: string;
}

export function componentStatusPath(stateDir: string, component: ComponentName, node?: string): string {
  return join(stateDir, node ? `${component}-${node}.json` : `${component}.json`);
}

/** Write via rename so readers never see half a file. */
export function writeComponentStatus(stateDir: string, status: ComponentStatus): string {
  const path = componentStatusPath(stateDir, status.component, status.node);
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(status, null, 2)}\n`);
  renameSync(tmp, path);
  return path;
}

/** A clean stop: the component is then "disabled", not "not running". */
export function removeComponentStatus(stateDir: string, component: ComponentName, node?: string): void {
  rmSync(componentStatusPath(stateDir, component, node), { force: true });
}

/** Every status file of `component` in the state dir (per-node files and the one-per-lab file). */
export function readComponentStatuses(stateDir: string, component: ComponentName): ComponentStatus[] {
  let names: string[];
  try {
    names = readdirSync(stateDir);
  } catch {
    return [];
  }
  const re = new RegExp(`^${component}(?:-([a-z0-9-]+))?\\.json$`);
  return names.filter((f) => re.test(f)).sort().flatMap((f) => {
    try {
      const s = JSON.parse(readFileSync(join(stateDir, f), 'utf8')) as ComponentStatus;
      return typeof s.pid === 'number' ? [{ ...s, component }] : [];
    } catch {
      return []; // being replaced right now, or not ours
    }
  });
}

/**
 * Whether `pid` is a live process. A killed process whose parent is gone may stay a zombie here (pid 1 does
 * not reap orphans in this environment), so a zombie counts as dead; `cmdline` (NUL-separated) guards against
 * a reused pid.
 */
export function processAlive(pid: number, cmdline?: RegExp): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
    // A pid reused by an unrelated process is not the component.
    return cmdline === undefined || cmdline.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return false;
  }
}
