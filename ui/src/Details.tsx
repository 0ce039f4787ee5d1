import type { Flow } from '../../src/flows/flow.js';
import type { ClusterView } from '../../src/ui/protocol.js';
import { Verdict } from './FlowTable.js';
import { endpointWithPort, flowTime, fmt, kindName, policyName, policyRole, ports } from './format.js';
import type { MapModel } from './map/model.js';
import { PolicyCard, policyKey } from './Policies.js';

export type Selection =
  | { kind: 'flow'; flow: Flow }
  | { kind: 'edge'; key: string }
  | { kind: 'node'; id: string }
  | { kind: 'policy'; key: string };

const DROP_REASON: Record<string, string> = {
  POLICY_DENIED: 'no rule allowed it (default deny)',
  POLICY_DENY: 'a deny rule matched',
  UNKNOWN_ENDPOINT: 'the address belongs to no known endpoint (fail closed)',
};

/** Why a flow got its verdict: the engine's reason, the policies and rules that decided, and for a drop the fix. */
export function FlowExplain({ flow, cluster, title }: { flow: Flow; cluster: ClusterView; title?: string }) {
  return (
    <div class="explain" data-testid="flow-explain">
      {title && <h3>{title}</h3>}
      <div class="explain-head">
        <Verdict v={flow.verdict} />
        <span class="mono muted">{flowTime(flow.time)} · {flow.node}</span>
      </div>
      <div class="flowline">
        <b>{endpointWithPort(flow.source)}</b> → <b>{endpointWithPort(flow.destination)}</b>
      </div>
      <dl>
        <dt>Protocol</dt><dd>{ports(flow)}{flow.l4.tcpFlags?.length ? ` (TCP flags: ${flow.l4.tcpFlags.join(', ')})` : ''}</dd>
        <dt>Direction</dt><dd>{flow.trafficDirection === 'INGRESS' ? 'ingress (at the destination)' : 'egress (at the source)'}</dd>
        {flow.dropReason && <><dt>Drop reason</dt><dd>{flow.dropReason}: {DROP_REASON[flow.dropReason] ?? ''}</dd></>}
        {flow.l7?.dns && <><dt>DNS</dt><dd>{flow.l7.dns.query} {flow.l7.dns.qtype} → {flow.l7.dns.rcode}{flow.l7.dns.ips.length ? ` ${flow.l7.dns.ips.join(', ')}` : ''}</dd></>}
      </dl>
      {flow.disagreement && <p class="warn" data-testid="flow-disagreement">⚠ The kernel and the engine disagree on this flow (please report): {flow.disagreement}</p>}
      <h4>Why</h4>
      <p class="reason-text" data-testid="flow-reason">{flow.reason || '(no explanation recorded)'}</p>
      <h4>Decided by</h4>
      {flow.policies.length === 0
        ? <p class="muted">no policy selects these pods for this direction: allowed by default</p>
        : (
          <ul class="decided" data-testid="flow-policies">
            {flow.policies.map((p, i) => {
              const view = cluster.policies.find((v) => policyKey(v) === policyKey(p));
              return (
                <li key={i}>
                  <span class={p.action === 'deny' || flow.verdict === 'DROPPED' ? 'bad' : 'ok'}>{kindName(p)} <b>{policyName(p)}</b></span>
                  <div class="muted">{policyRole(p)}</div>
                  {view && <PolicyCard p={view} highlightRule={{ direction: p.direction, action: p.action, ...(p.rule !== undefined ? { index: p.rule } : {}) }} />}
                </li>
              );
            })}
          </ul>
        )}
      {flow.suggestion && (
        <div class="fix" data-testid="flow-suggestion">
          <h4>Suggested fix</h4>
          <code>{flow.suggestion}</code>
        </div>
      )}
    </div>
  );
}

export function Details({ sel, cluster, model, flowCount }: { sel?: Selection; cluster: ClusterView; model: MapModel; flowCount: { all: number; dropped: number } }) {
  if (!sel) {
    return (
      <div class="details-empty">
        <h3>Nothing selected</h3>
        <p>Click a flow in the table, an arrow or a pod on the map, or a policy, to see why traffic was forwarded or dropped.</p>
        <p class="muted">{fmt(flowCount.all)} flows shown, {fmt(flowCount.dropped)} dropped · {fmt(cluster.pods.length)} pods · {fmt(cluster.policies.length)} policies</p>
      </div>
    );
  }
  if (sel.kind === 'flow') return <><h3>Flow</h3><FlowExplain flow={sel.flow} cluster={cluster} /></>;
  if (sel.kind === 'edge') {
    const e = model.edges.find((x) => x.key === sel.key);
    if (!e) return <p class="muted">This connection has no flows under the current filter.</p>;
    return (
      <div data-testid="edge-details">
        <h3>{e.from} → {e.to}</h3>
        <p>
          <span class="ok">✓ {fmt(e.forwarded)} forwarded</span> · <span class="bad">✕ {fmt(e.dropped)} dropped</span> · {e.ports.join(', ')}
        </p>
        <h4>Latest connection: {e.verdict === 'DROPPED' ? 'dropped' : 'forwarded'}</h4>
        {e.lastEvents.map((f) => <FlowExplain key={`${f.node}/${f.seq}`} flow={f} cluster={cluster} title={f.trafficDirection === 'EGRESS' ? 'At egress (source side)' : 'At ingress (destination side)'} />)}
        {e.verdict === 'FORWARDED' && e.lastDropEvents && (
          <>
            <h4>Latest dropped connection</h4>
            {e.lastDropEvents.filter((f) => f.verdict === 'DROPPED').map((f) => <FlowExplain key={`${f.node}/${f.seq}`} flow={f} cluster={cluster} />)}
          </>
        )}
      </div>
    );
  }
  if (sel.kind === 'node') {
    const pod = cluster.pods.find((p) => p.id === sel.id);
    const node = model.nodes.get(sel.id);
    const selecting = cluster.policies.filter((p) => p.selects.includes(sel.id));
    const out = model.edges.filter((e) => e.from === sel.id);
    const inn = model.edges.filter((e) => e.to === sel.id);
    return (
      <div data-testid="node-details">
        <h3>{pod ? `pod ${pod.id}` : node?.label ?? sel.id}</h3>
        {pod && (
          <dl>
            <dt>IP</dt><dd>{pod.ip ?? '-'}</dd>
            <dt>Node</dt><dd>{pod.node ?? '-'}</dd>
            <dt>Labels</dt><dd>{pod.labels.length ? pod.labels.map((l) => <span class="chip" key={l}>{l}</span>) : <span class="muted">none</span>}</dd>
          </dl>
        )}
        <p>{out.length} outgoing and {inn.length} incoming connections; {fmt(node?.dropped ?? 0)} dropped flows.</p>
        {pod && <h4>Policies selecting it</h4>}
        {pod && (selecting.length === 0 ? <p class="muted">none: the pod is not isolated</p> : selecting.map((p) => <PolicyCard key={policyKey(p)} p={p} />))}
      </div>
    );
  }
  const p = cluster.policies.find((x) => policyKey(x) === sel.key);
  return p ? <><h3>Policy</h3><PolicyCard p={p} full /></> : <p class="muted">The policy is gone from the store.</p>;
}
