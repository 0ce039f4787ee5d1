import type { LoadedObject } from '../../api/load.js';
import { endpointText } from '../../engine/endpoint.js';
import { flowText } from '../../engine/evaluate.js';
import type { FlowTrace, PolicyTrace } from '../../engine/explain.js';
import { originText } from '../../engine/policy.js';
import { sideSentence, decisionSentence } from '../../engine/reason.js';
import type { LookupOutcome } from '../../engine/dns.js';
import type { Suggestion } from '../../engine/suggest.js';
import { formatPath } from '../../shared/diagnostic.js';
import { originPosition } from '../positions.js';
import { paint } from '../tty.js';

const DNS_STATUS: Record<LookupOutcome['status'], string> = {
  learned: 'allowed and seen by the DNS proxy: its answers feed toFQDNs rules',
  resolved: 'allowed, but no L7 DNS rule (toPorts.rules.dns) covers it, so toFQDNs rules learn nothing from it',
  refused: 'refused by the DNS proxy: no DNS rule pattern matches the name',
  dropped: 'dropped by policy: the lookup never reaches the DNS proxy, so toFQDNs rules learn nothing',
  'no-answer': 'no address known for the name',
};

function policyLines(p: PolicyTrace, dir: string, objects: readonly LoadedObject[], color: boolean): string[] {
  const out = [`  ${originText(p.origin)} selects it${p.isolates ? ` (isolates ${dir})` : ` (does not isolate ${dir})`}`];
  if (p.rules.length === 0) out.push(`    no ${dir} rules`);
  for (const r of p.rules) {
    const name = `${r.action === 'deny' ? `${dir}Deny` : dir} rule ${r.index}${r.portRule !== undefined ? ` (toPorts[${r.portRule}])` : ''}`;
    const pos = originPosition(objects, r.origin, r.path);
    const mark = r.matched ? paint(r.action === 'deny' ? 'MATCH (deny)' : 'MATCH', r.action === 'deny' ? 'red' : 'green', color) : 'no match';
    out.push(`    ${name} at ${formatPath(r.path)}${pos ? ` (${pos})` : ''}: ${mark}`);
    if (r.peers.length === 0) out.push('      peers: none (an empty rule selects nothing)');
    for (const peer of r.peers) out.push(`      peer ${peer.text}: ${peer.matched ? 'matches' : 'does not match'}`);
    out.push(`      ports: ${r.portsMatched ? 'match' : 'do not match'}`);
  }
  return out;
}

/** The step-by-step walk: DNS (for names), egress side, ingress side, verdict. */
export function formatTraceTxt(t: FlowTrace, objects: readonly LoadedObject[], color: boolean, fix?: Suggestion): string {
  const ips = `${t.flow.src.ip || '?'} -> ${t.flow.dst.ip || '?'}`;
  const out = [`Flow: ${flowText(t.flow)}   (${ips})`, ''];
  for (const d of t.dns) {
    out.push(`DNS: ${endpointText(t.flow.src)} looked up ${d.name} via ${d.server}: ${DNS_STATUS[d.status]}`);
    if (d.decision && !d.decision.allowed) out.push(`  ${decisionSentence(d.decision)}`);
    out.push('');
  }
  for (const [dir, side, traces] of [['egress', t.decision.egress, t.egress], ['ingress', t.decision.ingress, t.ingress]] as const) {
    const who = dir === 'egress' ? t.flow.src : t.flow.dst;
    out.push(`${dir === 'egress' ? 'Egress from' : 'Ingress to'} ${endpointText(who)}:`);
    if (side.subject !== null && traces.length === 0) out.push(`  no policy selects ${side.subject}`);
    for (const p of traces) out.push(...policyLines(p, dir, objects, color));
    out.push(`  => ${side.allowed ? paint('allowed', 'green', color) : paint('denied', 'red', color)}: ${sideSentence(side)}`, '');
  }
  const verdict = t.decision.allowed ? paint('ALLOWED', 'green', color) : paint('DENIED', 'red', color);
  out.push(`Verdict: ${verdict} (${t.decision.reason}): ${decisionSentence(t.decision)}`);
  if (fix) out.push(`${paint('To allow:', 'cyan', color)} podwall ${fix.command}   (would match ${fix.matches})`);
  out.push('');
  return out.join('\n');
}

/** JSON with `allowed` at top level. */
export function traceJson(t: FlowTrace, fix?: Suggestion): unknown {
  const flow = {
    from: endpointText(t.flow.src), to: endpointText(t.flow.dst), srcIP: t.flow.src.ip, dstIP: t.flow.dst.ip,
    port: t.flow.port, protocol: t.flow.protocol,
  };
  const side = (v: FlowTrace['decision']['egress'], policies: PolicyTrace[]) => ({
    subject: v.subject, allowed: v.allowed, reason: v.reason, explanation: sideSentence(v),
    policies: policies.map((p) => ({ policy: originText(p.origin), ...p.origin, isolates: p.isolates, rules: p.rules.map((r) => ({ ...r, path: formatPath(r.path), origin: undefined })) })),
  });
  return {
    allowed: t.decision.allowed, reason: t.decision.reason, explanation: decisionSentence(t.decision), flow,
    dns: t.dns.map((d) => ({ name: d.name, status: d.status, ips: d.ips, server: d.server })),
    egress: side(t.decision.egress, t.egress), ingress: side(t.decision.ingress, t.ingress),
    ...(fix ? { suggestion: fix } : {}),
  };
}
