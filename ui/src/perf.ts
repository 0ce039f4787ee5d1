/**
 * Timings of the last render, for the load test (test/ui/load.test.ts reads window.__podwall) and for anyone
 * curious in the browser console. Measured with performance.now() around the real work.
 */
export interface Perf {
  flows: number;
  pods: number;
  edges: number;
  modelMs: number;
  layoutMs: number;
  drawMs: number;
  /** performance.now() when the map was last drawn with everything the server had buffered. */
  drawnAt: number;
  /** performance.now() when it was first drawn so, after the buffer arrived (later draws follow live updates). */
  firstDrawnAt: number;
}

export interface MapProbe {
  nodes: number;
  edges: { from: string; to: string; verdict: string; forwarded: number; dropped: number }[];
}

declare global {
  interface Window {
    __podwall?: { perf: Perf; map?: MapProbe; readyAt?: number };
  }
}

export const perf: Perf = { flows: 0, pods: 0, edges: 0, modelMs: 0, layoutMs: 0, drawMs: 0, drawnAt: 0, firstDrawnAt: 0 };
window.__podwall = { perf };
