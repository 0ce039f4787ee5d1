import type { MapModel } from './model.js';

export const CELL_W = 132;
export const CELL_H = 60;
export const PAD = 14;
export const HEADER = 28;
export const GAP = 24;
export const NODE_R = 9;

export interface GroupBox { name: string; kind: string; count: number; x: number; y: number; w: number; h: number }
export interface Layout {
  pos: Map<string, { x: number; y: number }>;
  groups: GroupBox[];
  width: number;
  height: number;
}

/**
 * Groups as boxes of a grid of nodes, packed on shelves to roughly the viewport's aspect ratio. Linear in the
 * number of nodes, deterministic (same model, same picture), and stable: a new flow moves nothing.
 */
export function layoutModel(model: MapModel, aspect: number): Layout {
  const boxes = model.groups.map((g) => {
    const n = Math.max(1, g.nodes.length);
    const cols = Math.max(1, Math.min(n, Math.ceil(Math.sqrt(n * 1.8))));
    const rows = Math.ceil(n / cols);
    return { g, cols, w: cols * CELL_W + 2 * PAD, h: HEADER + rows * CELL_H + PAD / 2 };
  });
  const area = boxes.reduce((s, b) => s + (b.w + GAP) * (b.h + GAP), 0);
  const widest = boxes.reduce((m, b) => Math.max(m, b.w), 0);
  const rowWidth = Math.max(widest, Math.sqrt(area * Math.max(0.5, aspect)));
  const pos = new Map<string, { x: number; y: number }>();
  const groups: GroupBox[] = [];
  let x = 0;
  let y = 0;
  let shelf = 0;
  let width = 0;
  for (const b of boxes) {
    if (x > 0 && x + b.w > rowWidth) {
      x = 0;
      y += shelf + GAP;
      shelf = 0;
    }
    groups.push({ name: b.g.name, kind: b.g.kind, count: b.g.nodes.length, x, y, w: b.w, h: b.h });
    b.g.nodes.forEach((node, i) => {
      const c = i % b.cols;
      const r = Math.floor(i / b.cols);
      pos.set(node.id, { x: x + PAD + c * CELL_W + CELL_W / 2, y: y + HEADER + r * CELL_H + 16 });
    });
    x += b.w + GAP;
    width = Math.max(width, x - GAP);
    shelf = Math.max(shelf, b.h);
  }
  return { pos, groups, width, height: y + shelf };
}
