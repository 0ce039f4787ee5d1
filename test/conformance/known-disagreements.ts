/**
 * Flows where the shared conformance data contradicts the documented semantics, so the engine is
 * expected to disagree. Each entry names the exact flow; the test fails if the disagreement changes
 * (fixed data, or a regression), so nothing here can hide a real mismatch.
 */
export const KNOWN_DISAGREEMENTS: { case: string; flow: string; why: string }[] = [
  {
    case: '21-cidr-l4-combined.yaml',
    flow: 'step 0: default/client -> 198.18.0.50 80/TCP',
    why: 'the policy allows toCIDR 198.18.0.0/24 on 80/TCP and 198.18.0.50 lies inside it (Cilium layer4.rst, '
      + '"CIDR-dependent Layer 4 Rule"); the case expects deny, likely because no host answered at .50 when it was written',
  },
];
