/**
 * The transparent redirect of pods' DNS to the node's DNS proxy (issue 5), rendered as nft JSON (pure).
 *
 * Its own table `ip podwall_dns`, so the agent's main table keeps its shape: a `nat` chain at prerouting
 * priority -110 (before the cluster DNS Service DNAT of `ip podwall_svc` at -100: once a NAT mapping is
 * set for a connection, later nat chains of the hook are not consulted) DNATs each redirected flow
 * (pod . destination . protocol . port, from the proxy rules) to the node's address and the destination's
 * proxy port. Node.js cannot read SO_ORIGINAL_DST, so the proxy port says which destination the pod asked.
 * The main table's input chain accepts DNATed packets to the proxy ports (compile.ts). A flow not in the
 * set is not touched: policy decides it as any other flow. With the proxy down, redirected packets find
 * a closed port: DNS fails closed, nothing bypasses the proxy.
 */
import { PROXY_PORT_BASE, PROXY_PORT_COUNT, type ProxyRules } from '../fqdn/rules.js';
import type { NftCommand } from './nft/render.js';

export const DNS_TABLE = { family: 'ip', name: 'podwall_dns' } as const;
export const DNS_SETS = { redirect: 'dns_redirect', ports: 'dns_proxy_ports' } as const;
/** Before `ip podwall_svc` (-100), after conntrack (-200). */
export const DNS_NAT_PRIORITY = -110;
/** The proxy ports as an inclusive range, for the input chain's accept rule. */
export const PROXY_PORTS: readonly [number, number] = [PROXY_PORT_BASE, PROXY_PORT_BASE + PROXY_PORT_COUNT - 1];

const T = { family: DNS_TABLE.family, table: DNS_TABLE.name };
const payload = (protocol: string, field: string) => ({ payload: { protocol, field } });
const PROTO = { UDP: 'udp', TCP: 'tcp' } as const;

/** The redirected flows: one element per pod, destination and protocol. Sorted, so equal rules give equal JSON. */
export function redirectElements(rules: ProxyRules): unknown[] {
  const out: string[][] = [];
  const ports = new Map(rules.listeners.map((l) => [`${l.destination}:${l.destinationPort}`, l.port]));
  for (const [ip, pod] of Object.entries(rules.pods)) {
    for (const d of pod.dns) {
      if (!ports.has(`${d.destination}:${d.destinationPort}`)) continue;
      for (const p of d.protocols) out.push([ip, d.destination, PROTO[p], String(d.destinationPort)]);
    }
  }
  out.sort((a, b) => (a.join(' ') < b.join(' ') ? -1 : a.join(' ') > b.join(' ') ? 1 : 0));
  return out.map(([a, b, c, d]) => ({ concat: [a, b, c, Number(d)] }));
}

/**
 * The whole table as one replace (add, delete, add again): it is small and holds no state of its own.
 * `nodeIp` is the address the proxy listens on. Goes into the same transaction as the main table's change.
 *
 * @example
 * executor.apply({ nftables: [...plan.json.nftables, ...renderDnsRedirect(rules, '10.0.0.1')] })
 */
export function renderDnsRedirect(rules: ProxyRules, nodeIp: string): NftCommand[] {
  const table = { family: DNS_TABLE.family, name: DNS_TABLE.name };
  const cmds: NftCommand[] = [
    { add: { table } }, { delete: { table } }, { add: { table } },
    { add: { set: { ...T, name: DNS_SETS.redirect, type: ['ipv4_addr', 'ipv4_addr', 'inet_proto', 'inet_service'] } } },
    { add: { map: { ...T, name: DNS_SETS.ports, type: ['ipv4_addr', 'inet_service'], map: 'inet_service' } } },
    { add: { chain: { ...T, name: 'prerouting', type: 'nat', hook: 'prerouting', prio: DNS_NAT_PRIORITY, policy: 'accept' } } },
    {
      add: {
        rule: {
          ...T, chain: 'prerouting', comment: 'pods\' DNS that an L7 DNS rule covers: to the node\'s DNS proxy',
          expr: [
            { match: { op: '==', left: { meta: { key: 'l4proto' } }, right: { set: ['tcp', 'udp'] } } },
            { match: { op: '==', left: { concat: [payload('ip', 'saddr'), payload('ip', 'daddr'), { meta: { key: 'l4proto' } }, payload('th', 'dport')] }, right: `@${DNS_SETS.redirect}` } },
            { dnat: { addr: nodeIp, port: { map: { key: { concat: [payload('ip', 'daddr'), payload('th', 'dport')] }, data: `@${DNS_SETS.ports}` } } } },
          ],
        },
      },
    },
  ];
  const elements = redirectElements(rules);
  // At most 512 elements per command (nft 1.0.6 splits longer lists into messages it then mis-encodes; see render.ts).
  for (let i = 0; i < elements.length; i += 512) {
    cmds.push({ add: { element: { ...T, name: DNS_SETS.redirect, elem: elements.slice(i, i + 512) } } });
  }
  if (rules.listeners.length) {
    const elem = rules.listeners.map((l) => [{ concat: [l.destination, l.destinationPort] }, l.port]);
    cmds.push({ add: { element: { ...T, name: DNS_SETS.ports, elem } } });
  }
  return cmds;
}
