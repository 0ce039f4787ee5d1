import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Flow } from '../../src/flows/flow.js';
import { Connections } from './Connections.js';
import { LiveData } from './data.js';
import { Details, type Selection } from './Details.js';
import { compileFilter } from './filter.js';
import { FlowTable } from './FlowTable.js';
import { fmt } from './format.js';
import { MapView } from './map/MapView.js';
import { buildModel, type MapModel } from './map/model.js';
import { perf } from './perf.js';
import { Policies } from './Policies.js';

type Tab = 'flows' | 'connections' | 'policies';

const EMPTY_MODEL: MapModel = { groups: [], edges: [], nodes: new Map() };
const NO_FLOWS: Flow[] = [];
type VerdictChoice = 'all' | 'DROPPED' | 'FORWARDED';

function useLiveData(): LiveData {
  const [data] = useState(() => new LiveData());
  const [, setVersion] = useState(0);
  useEffect(() => {
    // With tens of thousands of flows a re-render costs 100+ ms: under steady traffic, re-render at most
    // twice a second so the page stays responsive; small sets update every frame.
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const update = () => { timer = undefined; last = performance.now(); setVersion(data.version); };
    let shownReady = false;
    const off = data.subscribe(() => {
      if (timer) return;
      // The first render with the whole buffer is never held back.
      const wait = data.flows.length > 10_000 && data.ready && shownReady ? 500 - (performance.now() - last) : 0;
      shownReady = data.ready;
      if (wait <= 0) update();
      else timer = setTimeout(update, wait);
    });
    data.connect();
    return () => { off(); clearTimeout(timer); data.close(); };
  }, []);
  return data;
}

export function App() {
  const data = useLiveData();
  const [query, setQuery] = useState('');
  const [verdict, setVerdict] = useState<VerdictChoice>('all');
  const [tab, setTab] = useState<Tab>('flows');
  const [sel, setSel] = useState<Selection | undefined>();
  const compiled = useMemo(() => compileFilter(query), [query]);
  const accept = useMemo(() => {
    const m = compiled.ok ? compiled.filter.match : () => true;
    return verdict === 'all' ? m : (f: Flow) => f.verdict === verdict && m(f);
  }, [compiled, verdict]);

  const { model, shown } = useMemo(() => {
    // While the server's buffer streams in, nothing is computed per chunk: that would be quadratic in the flows.
    if (!data.ready) return { model: EMPTY_MODEL, shown: NO_FLOWS };
    const t0 = performance.now();
    const shown = data.flows.filter(accept);
    const model = buildModel(data.cluster, shown, () => true);
    perf.modelMs = performance.now() - t0;
    perf.flows = data.flows.length;
    perf.pods = data.cluster.pods.length;
    return { model, shown };
  }, [data.version, accept]);

  const dropped = useMemo(() => shown.reduce((n, f) => n + (f.verdict === 'DROPPED' ? 1 : 0), 0), [shown]);
  const highlight = useMemo(() => {
    if (sel?.kind !== 'policy') return undefined;
    const p = data.cluster.policies.find((x) => `${x.kind}/${x.namespace ?? ''}/${x.name}` === sel.key);
    return p ? new Set(p.selects) : undefined;
  }, [sel, data.cluster]);

  const live = data.connection === 'live';
  return (
    <div class="app">
      <header>
        <div class="brand">podwall</div>
        <span class={`status ${live ? 'ok' : 'bad'}`} data-testid="live-status">{live ? '● live' : data.connection === 'connecting' ? '● connecting…' : '● disconnected'}</span>
        <span class="sources" data-testid="sources">
          {data.sources.length === 0 && <span class="chip muted" title="No agent status file in the state dir">no agents</span>}
          {data.sources.map((s) => {
            const r = s.reader;
            const readerBad = r !== undefined && (!r.running || r.lastError !== null);
            const detail = [
              s.error ?? s.url ?? 'this agent has no flow API',
              ...(r ? [`flow reader: ${r.running ? 'running' : 'stopped'}${r.lastError ? ` (${r.lastError})` : ''}`,
                `not read yet or lost: ${fmt(r.lost)} · rate-limited, not logged: ${fmt(r.suppressed)} · kernel/engine disagreements: ${fmt(r.disagreements)}`] : []),
            ].join('\n');
            return (
              <span key={s.node} class={`chip ${s.state === 'connected' && !readerBad ? 'ok' : 'bad'}`} title={detail}>
                {s.node}: {s.state === 'connected' ? `${fmt(s.flows)} flows` : s.state}{readerBad ? ' · reader down' : ''}
              </span>
            );
          })}
        </span>
        <span class="chip" title="Network policy enforcement (podwall lab update --network-policy)">enforcement: {data.cluster.enforcement}</span>
        <span class="spacer" />
        <span class="counts" data-testid="counts">{fmt(shown.length)} flows · <span class="bad">{fmt(dropped)} dropped</span></span>
      </header>
      <div class="filterbar">
        <div class="seg" role="group" aria-label="Verdict">
          {(['all', 'DROPPED', 'FORWARDED'] as const).map((v) => (
            <button type="button" key={v} class={verdict === v ? 'on' : ''} onClick={() => setVerdict(v)}>{v === 'all' ? 'All' : v === 'DROPPED' ? '✕ Dropped' : '✓ Forwarded'}</button>
          ))}
        </div>
        <input
          type="search"
          data-testid="filter"
          placeholder="observe filters, e.g. --to-pod demo/server --verdict DROPPED   or   --not -n kube-system"
          value={query}
          onInput={(e) => setQuery((e.currentTarget as HTMLInputElement).value)}
          spellcheck={false}
          aria-invalid={!compiled.ok}
        />
        {!compiled.ok && <span class="filter-error" data-testid="filter-error">{compiled.error}</span>}
      </div>
      <main>
        <section class="left">
          <div class="map-wrap">
            <MapView
              model={model}
              complete={data.ready}
              {...(sel?.kind === 'edge' ? { selectedEdge: sel.key } : {})}
              {...(sel?.kind === 'node' ? { selectedNode: sel.id } : {})}
              {...(highlight ? { highlight } : {})}
              onSelectEdge={(key) => setSel({ kind: 'edge', key })}
              onSelectNode={(id) => setSel({ kind: 'node', id })}
            />
            {!data.ready && <div class="loading">Loading flows… {fmt(data.flows.length)}</div>}
          </div>
          <div class="tabs" role="tablist">
            <button type="button" role="tab" class={tab === 'flows' ? 'on' : ''} onClick={() => setTab('flows')} data-testid="tab-flows">Flows <span class="n">{fmt(shown.length)}</span></button>
            <button type="button" role="tab" class={tab === 'connections' ? 'on' : ''} onClick={() => setTab('connections')} data-testid="tab-connections">Connections <span class="n">{fmt(model.edges.length)}</span></button>
            <button type="button" role="tab" class={tab === 'policies' ? 'on' : ''} onClick={() => setTab('policies')} data-testid="tab-policies">Policies <span class="n">{fmt(data.cluster.policies.length)}</span></button>
          </div>
          <div class="tabpanel" data-testid="tabpanel">
            {tab === 'flows' && <FlowTable flows={shown} {...(sel?.kind === 'flow' ? { selected: sel.flow } : {})} onSelect={(flow) => setSel({ kind: 'flow', flow })} />}
            {tab === 'connections' && <Connections edges={model.edges} {...(sel?.kind === 'edge' ? { selected: sel.key } : {})} onSelect={(key) => setSel({ kind: 'edge', key })} />}
            {tab === 'policies' && <Policies policies={data.cluster.policies} {...(sel?.kind === 'policy' ? { selected: sel.key } : {})} onSelect={(key) => setSel({ kind: 'policy', key })} />}
          </div>
        </section>
        <aside class="details" data-testid="details">
          {sel && <button type="button" class="close" title="Clear the selection" onClick={() => setSel(undefined)}>×</button>}
          <Details {...(sel ? { sel } : {})} cluster={data.cluster} model={model} flowCount={{ all: shown.length, dropped }} />
          {data.cluster.error && <p class="bad">{data.cluster.error}</p>}
        </aside>
      </main>
    </div>
  );
}
