import { cidrContainsIp } from '../../shared/ip.js';
import type { Peer } from '../policy.js';
import { pathKey, podList, type LintRule } from './context.js';

type CidrPeer = Extract<Peer, { type: 'cidr' }>;

function covers(peer: CidrPeer, ip: string): boolean {
  return cidrContainsIp(peer.cidr, ip) && !peer.except.some((e) => cidrContainsIp(e, ip));
}

/**
 * PW2041: a NetworkPolicy ipBlock that covers pod IPs. The API says ipBlock should name cluster-external
 * addresses because pod IPs are ephemeral (NetworkPolicyPeer.ipBlock); whether pod traffic matches it also
 * depends on the network plugin.
 */
export const ipBlockCoversPods: LintRule = (ctx) => {
  if (!ctx.hasPods) return;
  const pods = ctx.engine.cluster.pods.filter((p) => !p.hostNetwork);
  for (const t of ctx.targets) {
    if (t.policy.origin.kind !== 'NetworkPolicy') continue;
    const seen = new Set<string>();
    for (const rule of t.policy.rules) {
      for (const peer of rule.peers) {
        if (peer.type !== 'cidr' || !peer.selectsCluster || seen.has(pathKey(peer.path))) continue;
        seen.add(pathKey(peer.path));
        const inside = pods.filter((p) => p.ips.some((ip) => covers(peer, ip)));
        if (inside.length > 0) ctx.report('PW2041', t.object, [...peer.path, 'ipBlock'], { block: `ipBlock ${peer.cidr.text}`, pods: podList(inside) });
      }
    }
  }
};
