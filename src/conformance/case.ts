import type { Diagnostic } from '../shared/diagnostic.js';
import type { ManifestDoc, Path } from '../api/source.js';
import { parseManifestText } from '../api/source.js';
import type { ApiObject } from '../api/types.js';
import { validateDocument } from '../api/validate/index.js';
import type { Protocol } from '../engine/cluster.js';
import { normalizeName } from '../fqdn/pattern.js';
import { isIp } from '../shared/ip.js';

/** A probe over every ordered pair of the case's pods (src != dst). */
export interface MatrixProbe {
  type: 'matrix';
  port: number;
  protocol: Protocol;
  default: 'allow' | 'deny';
  /** "src dst" pairs with the opposite verdict. */
  except: string[];
}

/** One flow: from/to are `ns/pod`, an IP, `host`, or (to) a DNS name. */
export interface SingleProbe {
  type: 'single';
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
  allowed: boolean;
}

export type Probe = MatrixProbe | SingleProbe;

export interface CaseStep {
  apply: ApiObject[];
  delete: string[];
  label: { namespaces: Record<string, Record<string, string | null>>; pods: Record<string, Record<string, string | null>> };
  probes: Probe[];
}

export interface ConformanceCase {
  name: string;
  file: string;
  pods: string[];
  /** Each probing pod resolved its probes' DNS names before probing. */
  dns: boolean;
  steps: CaseStep[];
}

type Raw = Record<string, unknown>;

function subDoc(doc: ManifestDoc, base: Path, value: unknown): ManifestDoc {
  return { file: doc.file, doc: doc.doc, value, basePath: [...doc.basePath, ...base], pos: (p) => doc.pos([...base, ...p]) };
}

function probe(raw: Raw): Probe {
  const port = Number(raw.port);
  const protocol = (String(raw.protocol ?? 'TCP').toUpperCase()) as Protocol;
  if (raw.from !== undefined) {
    return { type: 'single', from: String(raw.from), to: String(raw.to), port, protocol, allowed: raw.allowed === true };
  }
  return {
    type: 'matrix', port, protocol,
    default: raw.default === 'deny' ? 'deny' : 'allow',
    except: ((raw.except as string[] | undefined) ?? []).map((s) => s.trim().split(/\s+/).join(' ')),
  };
}

/** Parse a case file; the policies it applies are validated like any manifest, with positions in the case file. */
export function parseCase(text: string, file: string): { case?: ConformanceCase; diagnostics: Diagnostic[] } {
  const parsed = parseManifestText(text, file);
  const diagnostics = [...parsed.diagnostics];
  const doc = parsed.docs[0];
  if (!doc || typeof doc.value !== 'object' || doc.value === null) {
    return { diagnostics: [...diagnostics, { code: 'PW1002', severity: 'error', path: [], message: 'expected a conformance case object' }] };
  }
  const raw = doc.value as Raw;
  const steps: CaseStep[] = ((raw.steps as Raw[] | undefined) ?? []).map((s, i) => {
    const apply: ApiObject[] = [];
    ((s.apply as unknown[] | undefined) ?? []).forEach((obj, j) => {
      const res = validateDocument(subDoc(doc, ['steps', i, 'apply', j], obj));
      diagnostics.push(...res.diagnostics.map((d) => ({ ...d, source: d.source ?? doc.pos(['steps', i, 'apply', j, ...d.path]) })));
      if (res.object) apply.push(res.object);
    });
    const label = (s.label as CaseStep['label'] | undefined) ?? { namespaces: {}, pods: {} };
    return {
      apply,
      delete: ((s.delete as string[] | undefined) ?? []).map(String),
      label: { namespaces: label.namespaces ?? {}, pods: label.pods ?? {} },
      probes: ((s.probes as Raw[] | undefined) ?? []).map(probe),
    };
  });
  return {
    case: { name: String(raw.name ?? file), file, pods: ((raw.pods as string[] | undefined) ?? []).map(String), dns: raw.dns === true, steps },
    diagnostics,
  };
}

/** The names each pod looked up before probing in a `dns: true` case: those its single-flow probes target. */
export function caseLookups(c: ConformanceCase): Map<string, Set<string>> {
  const byPod = new Map<string, Set<string>>();
  if (!c.dns) return byPod;
  for (const s of c.steps) {
    for (const p of s.probes) {
      if (p.type !== 'single' || p.to.includes('/') || isIp(p.to) || p.to === 'host') continue;
      const set = byPod.get(p.from) ?? new Set<string>();
      set.add(normalizeName(p.to));
      byPod.set(p.from, set);
    }
  }
  return byPod;
}
