import type { Severity } from '../../shared/diagnostic.js';

/**
 * Every code `podwall lint` reports, with its severity and a one-line summary (README.md in this folder
 * documents each one). PW200x: which pods a policy selects; PW201x: peers that match nothing; PW202x:
 * toFQDNs and DNS; PW203x: redundant rules; PW204x: ipBlock; PW205x: named ports; PW206x: default deny.
 * The wording lives in messages.ts.
 */
export const LINT_CODES = {
  PW2000: { severity: 'info', summary: 'no Pod in the input: the checks that need pods were skipped' },
  PW2001: { severity: 'warning', summary: 'policy selects no pod' },
  PW2002: { severity: 'info', summary: 'host policy (nodeSelector): never applies to pods' },
  PW2011: { severity: 'warning', summary: 'podSelector/namespaceSelector peer matches no pod' },
  PW2012: { severity: 'warning', summary: 'namespaceSelector matches no namespace' },
  PW2013: { severity: 'warning', summary: 'Cilium endpoint selector matches no pod' },
  PW2014: { severity: 'warning', summary: 'cidrGroupRef names no CiliumCIDRGroup' },
  PW2015: { severity: 'warning', summary: 'cidrGroupSelector matches no CiliumCIDRGroup' },
  PW2021: { severity: 'warning', summary: 'toFQDNs rule, but policy drops the selected pods\' DNS lookups' },
  PW2022: { severity: 'warning', summary: 'toFQDNs rule, but DNS lookups are allowed without an L7 DNS rule (the DNS proxy never sees them)' },
  PW2023: { severity: 'warning', summary: 'toFQDNs name that the DNS rules do not allow (the DNS proxy refuses the lookup)' },
  PW2031: { severity: 'warning', summary: 'allow rule shadowed: every peer and port it allows is already allowed by other rules' },
  PW2041: { severity: 'warning', summary: 'ipBlock covers pod IPs' },
  PW2051: { severity: 'warning', summary: 'named port that no pod declares' },
  PW2061: { severity: 'warning', summary: 'Cilium policy with only deny rules in a direction still puts its pods into default deny' },
} as const satisfies Record<string, { severity: Severity; summary: string }>;

export type LintCode = keyof typeof LINT_CODES;
