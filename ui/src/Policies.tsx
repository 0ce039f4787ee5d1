import type { PolicyView } from '../../src/ui/protocol.js';
import { policyName } from './format.js';

export const policyKey = (p: { kind: string; namespace?: string; name: string }): string => `${p.kind}/${p.namespace ?? ''}/${p.name}`;

const SHORT: Record<PolicyView['kind'], string> = { NetworkPolicy: 'netpol', CiliumNetworkPolicy: 'cnp', CiliumClusterwideNetworkPolicy: 'ccnp' };

export function PolicyCard({ p, full, highlightRule }: { p: PolicyView; full?: boolean; highlightRule?: { direction: string; index?: number; action: string } }) {
  const shown = full ? p.selects : p.selects.slice(0, 8);
  const iso = [p.isolates.ingress ? 'ingress' : '', p.isolates.egress ? 'egress' : ''].filter(Boolean).join(' + ');
  return (
    <div class="policy" data-testid="policy" data-name={policyName(p)}>
      <div class="policy-title">
        <span class="badge">{SHORT[p.kind]}</span> <b>{policyName(p)}</b>
        <span class="muted"> · selects {p.selects.length} pod{p.selects.length === 1 ? '' : 's'}{iso ? ` · isolates ${iso}` : ''}</span>
      </div>
      <div class="pods">
        {shown.length === 0 ? <span class="muted">no pod matches its selector</span> : shown.map((id) => <span class="chip" key={id}>{id}</span>)}
        {p.selects.length > shown.length && <span class="muted"> +{p.selects.length - shown.length} more</span>}
      </div>
      <ul class="rules">
        {p.rules.length === 0 && <li class="muted">no rules: selected pods are isolated ({iso || 'nothing'}) and nothing is allowed</li>}
        {p.rules.map((r) => {
          const hit = highlightRule && highlightRule.direction === r.direction && highlightRule.index === r.index && highlightRule.action === r.action;
          return (
            <li key={`${r.direction}/${r.action}/${r.index}`} class={hit ? 'hit' : ''}>
              <span class={r.action === 'deny' ? 'bad' : 'ok'}>{r.direction} {r.action === 'deny' ? 'deny ' : ''}rule {r.index}</span>
              {': '}{r.peers.length === 0 ? 'no peer' : r.peers.join('; ')} · {r.ports}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function Policies({ policies, selected, onSelect }: { policies: readonly PolicyView[]; selected?: string; onSelect(key: string): void }) {
  if (policies.length === 0) return <div class="empty">No policies in the store. Without a policy every pod may talk to every other.</div>;
  return (
    <div class="policies" data-testid="policies">
      {policies.map((p) => (
        <div key={policyKey(p)} class={`policy-wrap${selected === policyKey(p) ? ' selected' : ''}`} onClick={() => onSelect(policyKey(p))}>
          <PolicyCard p={p} />
        </div>
      ))}
    </div>
  );
}
