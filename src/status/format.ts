import { paint, type Color } from '../cli/tty.js';
import type { AgentReport, ComponentReport, Health, StatusReport } from './report.js';

/** `podwall status` as text, laid out like `cilium status`: aligned `Name: STATE  detail` lines. */

const WIDTH = 16;
const COLORS: Record<Health, Color> = { OK: 'green', warning: 'yellow', error: 'red', disabled: 'dim' };

function line(name: string, health: Health, state: string, detail: string, color: boolean, indent = 0): string {
  const label = `${' '.repeat(indent)}${`${name}:`.padEnd(WIDTH - indent)}`;
  return `${label}${paint(state, COLORS[health], color)}${detail ? `${' '.repeat(Math.max(1, 14 - state.length))}${detail}` : ''}`;
}

function agentDetail(a: AgentReport): string {
  if (a.pid === undefined) return '';
  const parts = [`pid ${a.pid}`, `enforcement ${a.enforcement}`, `revision ${a.appliedRevision}/${a.desiredRevision ?? '?'}`, `generation ${a.generation}`];
  if (a.lastApplyMs !== null && a.lastApplyMs !== undefined) parts.push(`last apply ${a.lastApplyMs} ms${a.lastApplyKind ? ` (${a.lastApplyKind})` : ''}`);
  if (a.nftTable === true) parts.push('table inet podwall');
  if (a.api) parts.push(`api ${a.api}`);
  if (a.lastError) parts.push(`last error: ${a.lastError}`);
  return parts.join(', ');
}

function componentLines(c: ComponentReport, color: boolean): string[] {
  if (c.instances.length === 0) return [line(c.title, 'disabled', 'disabled', '', color)];
  const detail = (i: ComponentReport['instances'][number]) => [
    i.state === 'not running' ? `pid ${i.pid} is gone` : `pid ${i.pid}`, i.endpoint, i.message,
    ...Object.entries(i.details ?? {}).map(([k, v]) => `${k}=${v}`),
  ].filter(Boolean).join(', ');
  if (c.instances.length === 1 && !c.instances[0]!.node) {
    const i = c.instances[0]!;
    return [line(c.title, i.health, i.state, detail(i), color)];
  }
  const ok = c.instances.filter((i) => i.health === 'OK').length;
  return [
    line(c.title, c.health, c.health === 'OK' ? 'OK' : c.health, `${ok}/${c.instances.length} OK`, color),
    ...c.instances.map((i) => line(i.node ?? '-', i.health, i.state, detail(i), color, 2)),
  ];
}

export function formatStatus(r: StatusReport, color: boolean): string {
  const out: string[] = [];
  out.push(line('podwall', r.healthy ? 'OK' : 'error', r.healthy ? 'OK' : 'error', `prefix ${r.prefix}, state ${r.stateDir}`, color));
  out.push(line('Lab', r.lab.up ? 'OK' : 'error', r.lab.up ? 'OK' : 'down', r.lab.up ? `${r.lab.nodes.length} node${r.lab.nodes.length === 1 ? '' : 's'} (${r.lab.nodes.join(', ')})` : 'no lab (podwall lab up)', color));
  const s = r.store;
  out.push(line('Store', s.health, s.health === 'OK' ? 'OK' : s.error ? 'unreachable' : 'missing',
    [s.path, s.revision !== undefined ? `revision ${s.revision}` : '', s.enforcement ? `enforcement ${s.enforcement}` : '', s.error ?? ''].filter(Boolean).join(', '), color));
  if (r.lab.up) {
    const ok = r.agents.filter((a) => a.health === 'OK').length;
    out.push(line('Agents', ok === r.agents.length ? 'OK' : 'error', ok === r.agents.length ? 'OK' : 'error', `${ok}/${r.agents.length} healthy`, color));
    for (const a of r.agents) out.push(line(a.node, a.health, a.state, agentDetail(a), color, 2));
  }
  for (const c of r.components) out.push(...componentLines(c, color));
  out.push(line('World', r.world.health, r.world.state, r.world.detail, color));
  out.push(line('Cluster Pods', r.pods.managed === r.pods.total ? 'OK' : 'warning', `${r.pods.managed}/${r.pods.total}`,
    `managed by podwall${r.pods.unmanaged.length ? ` (not running: ${r.pods.unmanaged.slice(0, 5).join(', ')}${r.pods.unmanaged.length > 5 ? ', …' : ''})` : ''}`, color));
  const p = r.policies;
  out.push(line('Policies', 'OK', String(p.total), `NetworkPolicy ${p.NetworkPolicy}, CiliumNetworkPolicy ${p.CiliumNetworkPolicy}, CiliumClusterwideNetworkPolicy ${p.CiliumClusterwideNetworkPolicy}`, color));
  if (r.errors.length) out.push('', ...r.errors.map((e, i) => `${(i === 0 ? 'Errors:' : '').padEnd(WIDTH)}${paint(e, 'red', color)}`));
  if (r.warnings.length) out.push('', ...r.warnings.map((w, i) => `${(i === 0 ? 'Warnings:' : '').padEnd(WIDTH)}${paint(w, 'yellow', color)}`));
  return `${out.join('\n')}\n`;
}
