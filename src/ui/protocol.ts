/**
 * What the UI server (src/ui/server.ts) sends the browser (ui/) over Server-Sent Events on GET /api/events.
 * Types only: the front end imports them, so both sides agree at compile time.
 *
 *   event: reset     data: {}                      the client drops what it holds (sent first on every connection)
 *   event: cluster   data: ClusterView             on connect and whenever the store's revision changes
 *   event: sources   data: SourceStatus[]          on connect and whenever an agent's connection changes
 *   event: flows     data: Flow[]                  the buffered flows in chunks, then new flows in batches
 *   event: ready     data: { flows: number }        the buffered flows have all been sent
 */
import type { Flow } from '../flows/flow.js';

export type { Flow };

export interface PodView {
  /** `namespace/name`. */
  id: string;
  namespace: string;
  name: string;
  ip?: string;
  node?: string;
  /** `key=value`, sorted. */
  labels: string[];
}

export interface RuleView {
  direction: 'ingress' | 'egress';
  action: 'allow' | 'deny';
  /** Index in the policy's ingress/egress (or ingressDeny/egressDeny) list, as flows name it. */
  index: number;
  /** Human text of each peer, e.g. `podSelector app=client`; empty: the rule selects no peer. */
  peers: string[];
  /** e.g. `TCP/80`, `any port`. */
  ports: string;
}

export interface PolicyView {
  kind: 'NetworkPolicy' | 'CiliumNetworkPolicy' | 'CiliumClusterwideNetworkPolicy';
  namespace?: string;
  name: string;
  /** Pod ids (`namespace/name`) the policy selects. */
  selects: string[];
  /** Whether selected pods fall into default deny, per direction. */
  isolates: { ingress: boolean; egress: boolean };
  rules: RuleView[];
}

export interface ClusterView {
  revision: number;
  enforcement: 'podwall' | 'none';
  namespaces: string[];
  pods: PodView[];
  policies: PolicyView[];
  /** Set when the store could not be read (the panel says so instead of showing an empty cluster). */
  error?: string;
}

export interface SourceStatus {
  node: string;
  /** Base URL of the agent's flow API, when its status file names one. */
  url?: string;
  state: 'connected' | 'connecting' | 'error' | 'no-api';
  error?: string;
  /** Flows received from this agent since the UI server started. */
  flows: number;
  /** The agent's flow reader as its status file last reported it (about once a second). */
  reader?: ReaderStatus;
}

export interface ReaderStatus {
  running: boolean;
  lastError: string | null;
  /** Logged by the kernel but not (yet) read: events in flight count until read. */
  lost: number;
  /** Repeated events the kernel's rate limit did not log (counted, not lost). */
  suppressed: number;
  /** Flows where the kernel's verdict and the engine's differ. */
  disagreements: number;
}

export const UI_EVENTS = ['reset', 'cluster', 'sources', 'flows', 'ready'] as const;
export type UiEvent = (typeof UI_EVENTS)[number];
