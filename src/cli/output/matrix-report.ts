import type { Decision } from '../../engine/evaluate.js';
import type { Matrix } from '../../engine/matrix.js';
import { decisionSentence } from '../../engine/reason.js';

/** What every matrix output format renders: pods in order and one matrix per port/protocol. */
export interface MatrixReport {
  pods: { id: string; namespace: string; name: string; ip: string }[];
  matrices: Matrix[];
  /** Denied pairs with their reason and, where one exists, the smallest relabelling that allows them (small clusters only). */
  denied?: { flow: string; explanation: string; fix?: string }[];
}

export interface PairVerdict {
  from: string;
  to: string;
  port: number;
  protocol: string;
  allowed: boolean;
  reason: string;
  explanation: string;
}

export function pairVerdict(report: MatrixReport, m: Matrix, i: number, j: number, withReason = true): PairVerdict {
  const allowed = m.allowed(i, j);
  const d: Decision | undefined = withReason ? m.decision(i, j) : undefined;
  return {
    from: report.pods[i]!.id, to: report.pods[j]!.id, port: m.port, protocol: m.protocol, allowed,
    reason: d?.reason ?? '', explanation: d ? decisionSentence(d) : '',
  };
}

/** Every ordered pair (self pairs included) of every matrix, in a stable order. */
export function* allPairs(report: MatrixReport): Generator<PairVerdict> {
  for (const m of report.matrices) {
    for (let i = 0; i < report.pods.length; i++) {
      for (let j = 0; j < report.pods.length; j++) yield pairVerdict(report, m, i, j);
    }
  }
}
