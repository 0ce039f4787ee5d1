import type { Rule } from '../context.js';
import { CILIUM_DENY_RULES } from './cilium-deny.js';
import { CILIUM_L7_RULES } from './cilium-l7.js';
import { CILIUM_PEER_RULES } from './cilium-peers.js';
import { CILIUM_PORT_RULES } from './cilium-ports.js';
import { CILIUM_RULE_RULES } from './cilium-rule.js';
import { METADATA_RULES } from './metadata.js';
import { NETWORK_POLICY_RULES } from './networkpolicy.js';
import { cidrGroupCidrs, nodeValues, podAddresses, podContainerPorts, serviceValues } from './workload.js';

const CILIUM_POLICY_RULES: readonly Rule[] = [
  ...METADATA_RULES, ...CILIUM_RULE_RULES, ...CILIUM_PEER_RULES, ...CILIUM_PORT_RULES, ...CILIUM_L7_RULES, ...CILIUM_DENY_RULES,
];

/** The semantic rules of each kind, all of which run on every document of that kind. */
export const RULES_BY_KIND: Readonly<Record<string, readonly Rule[]>> = {
  Namespace: METADATA_RULES,
  Pod: [...METADATA_RULES, podAddresses, podContainerPorts],
  Node: [...METADATA_RULES, nodeValues],
  Service: [...METADATA_RULES, serviceValues],
  NetworkPolicy: [...METADATA_RULES, ...NETWORK_POLICY_RULES],
  CiliumNetworkPolicy: CILIUM_POLICY_RULES,
  CiliumClusterwideNetworkPolicy: CILIUM_POLICY_RULES,
  CiliumCIDRGroup: [...METADATA_RULES, cidrGroupCidrs],
};
