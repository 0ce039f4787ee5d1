import type { Flow } from '../../src/flows/flow.js';
import { endpointWithPort, flowTime } from './format.js';
import { VirtualList } from './VirtualList.js';

export function Verdict({ v }: { v: Flow['verdict'] }) {
  return <span class={`verdict ${v === 'DROPPED' ? 'dropped' : 'forwarded'}`}>{v === 'DROPPED' ? '✕ DROPPED' : '✓ FORWARDED'}</span>;
}

/** Newest first; `flows` are the filtered flows, oldest first as they arrived. */
export function FlowTable({ flows, selected, onSelect }: { flows: readonly Flow[]; selected?: Flow; onSelect(f: Flow): void }) {
  const n = flows.length;
  const header = (
    <div class="row head flow-row" role="row">
      <span>Time</span><span>Source</span><span>Destination</span><span>Proto</span><span>Dir</span><span>Verdict</span><span>Reason</span>
    </div>
  );
  if (n === 0) return <div class="empty">No flows match. Flows appear here as the agents decide them (newest on top).</div>;
  return (
    <VirtualList
      count={n}
      rowHeight={28}
      header={header}
      testid="flow-table"
      row={(i) => {
        const f = flows[n - 1 - i]!;
        return (
          <div
            key={`${f.node}/${f.seq}`}
            class={`row flow-row${f === selected ? ' selected' : ''}`}
            role="row"
            data-testid="flow-row"
            data-verdict={f.verdict}
            onClick={() => onSelect(f)}
            tabIndex={0}
            onKeyDown={(ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onSelect(f); } }}
          >
            <span class="mono">{flowTime(f.time)}</span>
            <span title={f.source.ip}>{endpointWithPort(f.source)}</span>
            <span title={f.destination.ip}>{endpointWithPort(f.destination)}</span>
            <span>{f.type === 'L7' ? 'DNS' : f.l4.protocol}</span>
            <span>{f.trafficDirection === 'INGRESS' ? 'ingress' : 'egress'}</span>
            <span><Verdict v={f.verdict} /></span>
            <span class="reason" title={f.reason}>{f.reason}</span>
          </div>
        );
      }}
    />
  );
}
