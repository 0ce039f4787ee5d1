import { Verdict } from './FlowTable.js';
import { flowTime, fmt } from './format.js';
import type { MapEdge } from './map/model.js';
import { VirtualList } from './VirtualList.js';

/** The map's edges as a list: the same data, readable and searchable by eye, newest activity first. */
export function Connections({ edges, selected, onSelect }: { edges: readonly MapEdge[]; selected?: string; onSelect(key: string): void }) {
  const sorted = [...edges].sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : a.key.localeCompare(b.key)));
  if (sorted.length === 0) return <div class="empty">No connections yet.</div>;
  const header = (
    <div class="row head conn-row" role="row">
      <span>From</span><span>To</span><span>Ports</span><span>Forwarded</span><span>Dropped</span><span>Latest</span><span>Last seen</span>
    </div>
  );
  return (
    <VirtualList
      count={sorted.length}
      rowHeight={28}
      header={header}
      testid="connections"
      row={(i) => {
        const e = sorted[i]!;
        return (
          <div
            key={e.key}
            class={`row conn-row${e.key === selected ? ' selected' : ''}`}
            role="row"
            data-testid="connection"
            data-from={e.from}
            data-to={e.to}
            data-verdict={e.verdict}
            onClick={() => onSelect(e.key)}
            tabIndex={0}
            onKeyDown={(ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); onSelect(e.key); } }}
          >
            <span>{e.from.replace(/^(world|host|ip):/, '')}</span>
            <span>{e.to.replace(/^(world|host|ip):/, '')}</span>
            <span>{e.ports.join(', ')}</span>
            <span class="num ok">{fmt(e.forwarded)}</span>
            <span class="num bad">{fmt(e.dropped)}</span>
            <span><Verdict v={e.verdict} /></span>
            <span class="mono">{flowTime(e.time)}</span>
          </div>
        );
      }}
    />
  );
}
