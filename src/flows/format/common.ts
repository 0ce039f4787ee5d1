/** Pieces shared by the observe output formats (Hubble's wording). Pure. */
import type { Flow, FlowEndpoint } from '../flow.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Hubble's StampMilli (`Jan _2 15:04:05.000`) in local time, or UTC. */
export function stampMilli(iso: string, utc = false): string {
  const d = new Date(iso);
  const [mo, day, h, m, s, ms] = utc
    ? [d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds()]
    : [d.getMonth(), d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds(), d.getMilliseconds()];
  return `${MONTHS[mo]} ${String(day).padStart(2, ' ')} ${pad(h)}:${pad(m)}:${pad(s)}.${pad(ms, 3)}`;
}

/** `demo/client:38000`, `example.com:443 (world)`, `10.0.0.1 (host)`. */
export function endpointText(e: FlowEndpoint): string {
  const port = e.port !== undefined ? `:${e.port}` : '';
  if (e.kind === 'pod') return `${e.namespace}/${e.pod}${port}`;
  const name = e.names?.[0] ?? e.ip;
  return `${name}${port} (${e.kind})`;
}

/** `policy-verdict:none INGRESS DENIED`, or for DNS events `dns-request proxy FORWARDED`. */
export function typeText(f: Flow): string {
  if (f.type === 'L7') return `dns-request proxy ${f.verdict}`;
  const allowed = f.verdict === 'FORWARDED' ? 'ALLOWED' : 'DENIED';
  return `policy-verdict:${f.policyMatchType ?? (f.verdict === 'DROPPED' ? 'none' : 'all')} ${f.trafficDirection} ${allowed}`;
}

/** `TCP Flags: SYN`, `UDP`, `DNS Query example.com. A`. */
export function summaryText(f: Flow): string {
  if (f.l7?.dns) {
    const d = f.l7.dns;
    return `DNS ${d.rcode === 'NOERROR' && d.ips.length > 0 ? `Answer "${d.ips.join(',')}"` : d.rcode} Query ${d.query} ${d.qtype}`;
  }
  if (f.l4.protocol === 'TCP') return `TCP Flags: ${(f.l4.tcpFlags ?? []).join(', ')}`;
  return f.l4.protocol;
}

export function policyText(f: Flow): string {
  return f.policies.map((p) => {
    const name = p.namespace ? `${p.namespace}/${p.name}` : p.name;
    const dir = p.action === 'deny' && p.rule !== undefined ? `${p.direction}Deny` : p.direction;
    return p.rule !== undefined ? `${name} ${dir} rule ${p.rule}` : `${name} (default deny)`;
  }).join(', ');
}

/** The reason, with the fix for drops and a disagreement warning. */
export function reasonText(f: Flow): string {
  return [f.reason, f.suggestion ? `fix: ${f.suggestion}` : '', f.disagreement ? `KERNEL/ENGINE DISAGREE: ${f.disagreement}` : '']
    .filter((x) => x !== '').join('; ');
}
