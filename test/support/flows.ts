import type { Flow } from '../../src/flows/flow.js';
import { fetchFlows, flowApis } from '../../src/flows/relay.js';
import type { LabContext } from '../../src/lab/names.js';
import { waitFor } from '../../src/lab/wait.js';

/** Every flow the lab's agents hold now (their rings, merged by time). */
export async function labFlows(lab: LabContext): Promise<Flow[]> {
  return (await fetchFlows(flowApis(lab.stateDir), {})).flows;
}

/** The first flow matching `pred`, once the agents have it (the reader is asynchronous). */
export function waitFlow(lab: LabContext, what: string, pred: (f: Flow) => boolean): Promise<Flow> {
  return waitFor(async () => (await labFlows(lab)).find(pred), { timeoutMs: 10_000, what });
}
