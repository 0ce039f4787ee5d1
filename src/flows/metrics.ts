/**
 * Prometheus metrics of one agent (prom-client): flows, drops, kernel events lost or suppressed,
 * verdict disagreements, nft apply latency and failures, reconcile errors. Other parts register
 * their own metrics on `registry` (the DNS proxy: `registerMetrics((r) => new Counter({ ..., registers: [r] }))`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Flow } from './flow.js';

export class AgentMetrics {
  readonly registry = new Registry();
  readonly flows: Counter<'verdict' | 'direction' | 'policy'>;
  readonly drops: Counter<'reason'>;
  readonly disagreements: Counter;
  readonly applySeconds: Histogram;
  readonly applyFailures: Counter;
  readonly reconcileErrors: Counter;
  /** Set from the kernel's counters and the reader: see FlowService.poll. */
  readonly kernelEvents: Gauge<'verdict'>;
  readonly suppressed: Gauge<'verdict'>;
  readonly lost: Gauge<'where'>;
  readonly ringFlows: Gauge;
  readonly slowFollower: Counter<'verdict'>;

  constructor(node: string) {
    const r = [this.registry];
    this.registry.setDefaultLabels({ node });
    this.flows = new Counter({ name: 'podwall_flows_total', help: 'Flows decided by the policy rules, by verdict, direction and deciding policy', labelNames: ['verdict', 'direction', 'policy'], registers: r });
    this.drops = new Counter({ name: 'podwall_drops_total', help: 'Dropped flows by drop reason', labelNames: ['reason'], registers: r });
    this.disagreements = new Counter({ name: 'podwall_flow_verdict_disagreements_total', help: 'Flows where the kernel verdict and the engine disagree (a bug)', registers: r });
    this.applySeconds = new Histogram({
      name: 'podwall_nft_apply_duration_seconds', help: 'Time to apply one nft transaction',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: r,
    });
    this.applyFailures = new Counter({ name: 'podwall_nft_apply_failures_total', help: 'nft transactions the kernel rejected', registers: r });
    this.reconcileErrors = new Counter({ name: 'podwall_agent_reconcile_errors_total', help: 'Reconcile passes that failed', registers: r });
    this.kernelEvents = new Gauge({ name: 'podwall_flow_kernel_events', help: 'Flow events the kernel logged (nft counters of the log rules), by verdict', labelNames: ['verdict'], registers: r });
    this.suppressed = new Gauge({ name: 'podwall_flow_events_suppressed', help: 'Packets of one flow over the per-flow meter rate, not logged (nft counters), by verdict', labelNames: ['verdict'], registers: r });
    this.lost = new Gauge({ name: 'podwall_flow_events_lost', help: 'Flow events lost: kernel-to-reader (logged but never read) and ring (overwritten before read)', labelNames: ['where'], registers: r });
    this.slowFollower = new Counter({ name: 'podwall_flow_follower_dropped_total', help: 'Flows not sent to a following client that was too far behind (forwarded ones first), by verdict', labelNames: ['verdict'], registers: r });
    this.ringFlows = new Gauge({ name: 'podwall_flow_ring_flows', help: 'Flows held in the ring buffer', registers: r });
  }

  private readonly children = new Map<string, { inc(): void }>();

  countFlow(f: Flow): void {
    const p = f.policies[0];
    const policy = p ? `${p.namespace ? `${p.namespace}/` : ''}${p.name}` : '';
    // The labelled children, looked up once per label set: prom-client hashes labels on every inc().
    const key = `${f.verdict} ${f.trafficDirection} ${policy}`;
    let child = this.children.get(key);
    if (!child) {
      child = this.flows.labels({ verdict: f.verdict, direction: f.trafficDirection, policy });
      this.children.set(key, child);
    }
    child.inc();
    if (f.dropReason) this.drops.inc({ reason: f.dropReason });
    if (f.disagreement) this.disagreements.inc();
  }

  /** Time an apply; failures counted. */
  async timeApply<T>(run: () => Promise<T>): Promise<T> {
    const end = this.applySeconds.startTimer();
    try {
      return await run();
    } catch (err) {
      this.applyFailures.inc();
      throw err;
    } finally {
      end();
    }
  }

  /** Registration point for other parts of the agent (the DNS proxy's queries, latency, cache size). */
  register(add: (registry: Registry) => void): void {
    add(this.registry);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
