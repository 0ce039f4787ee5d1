import { COLORS } from './colors.js';
import { NODE_R, type Layout } from './layout.js';
import type { MapEdge, MapModel, NodeKind } from './model.js';

export interface View { scale: number; tx: number; ty: number }

export interface DrawState {
  selectedEdge?: string;
  selectedNode?: string;
  /** Pods to ring (e.g. those a selected policy selects). */
  highlight?: ReadonlySet<string>;
}

/** Above this many pod-to-pod edges, a zoomed-out map shows namespace-to-namespace arrows. */
export const AGGREGATE_ABOVE = 250;

interface GroupEdge { from: string; to: string; forwarded: number; dropped: number; dropping: boolean }

/**
 * One arrow per ordered pair of groups, as thick as its connections are many, red and dashed when any of its
 * pod pairs' newest connection was dropped. Returns each group's connections inside itself, for its header.
 */
function drawGroupEdges(ctx: CanvasRenderingContext2D, model: MapModel, layout: Layout, s: number): Map<string, GroupEdge> {
  const pairs = new Map<string, GroupEdge>();
  for (const e of model.edges) {
    const a = model.nodes.get(e.from)?.group;
    const b = model.nodes.get(e.to)?.group;
    if (a === undefined || b === undefined) continue;
    const key = `${a}>${b}`;
    let g = pairs.get(key);
    if (!g) pairs.set(key, (g = { from: a, to: b, forwarded: 0, dropped: 0, dropping: false }));
    g.forwarded += e.forwarded;
    g.dropped += e.dropped;
    if (e.verdict === 'DROPPED') g.dropping = true;
  }
  const boxes = new Map(layout.groups.map((g) => [g.name, g]));
  const inside = new Map<string, GroupEdge>();
  const ordered = [...pairs.values()].sort((x, y) => Number(x.dropping) - Number(y.dropping));
  for (const g of ordered) {
    if (g.from === g.to) {
      inside.set(g.from, g);
      continue;
    }
    const A = boxes.get(g.from);
    const B = boxes.get(g.to);
    if (!A || !B) continue;
    const a = { x: A.x + A.w / 2, y: A.y + A.h / 2 };
    const b = { x: B.x + B.w / 2, y: B.y + B.h / 2 };
    const { cx, cy } = edgeCurve(a, b);
    // End at the destination box's border, where the arrow head is visible.
    const dx = b.x - cx;
    const dy = b.y - cy;
    const t = Math.min(Math.abs(dx) > 1e-6 ? (B.w / 2) / Math.abs(dx) : Infinity, Math.abs(dy) > 1e-6 ? (B.h / 2) / Math.abs(dy) : Infinity, 1);
    const end = { x: b.x - dx * t, y: b.y - dy * t };
    ctx.strokeStyle = g.dropping ? COLORS.dropped : COLORS.forwarded;
    // Thin and translucent: where many namespaces talk, the crossings must stay readable.
    ctx.globalAlpha = 0.55;
    ctx.lineWidth = Math.min(4.5, 0.8 + Math.log2(1 + g.forwarded + g.dropped) * 0.35) / s;
    ctx.setLineDash(g.dropping ? [10 / s, 6 / s] : []);
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.quadraticCurveTo(cx, cy, end.x, end.y);
    ctx.stroke();
    ctx.setLineDash([]);
    const ang = Math.atan2(end.y - cy, end.x - cx);
    const size = 10 / s;
    ctx.fillStyle = ctx.strokeStyle;
    ctx.beginPath();
    ctx.moveTo(end.x, end.y);
    ctx.lineTo(end.x - Math.cos(ang - 0.4) * size, end.y - Math.sin(ang - 0.4) * size);
    ctx.lineTo(end.x - Math.cos(ang + 0.4) * size, end.y - Math.sin(ang + 0.4) * size);
    ctx.closePath();
    ctx.fill();
    ctx.globalAlpha = 1;
  }
  return inside;
}

const KIND_COLOR: Record<NodeKind, string> = { pod: COLORS.pod, world: COLORS.world, host: COLORS.host, unknown: COLORS.unknown };

/** Control point of an edge's curve: bent to one side, so A→B and B→A are two visible lines. */
export function edgeCurve(a: { x: number; y: number }, b: { x: number; y: number }): { cx: number; cy: number } {
  const mx = (a.x + b.x) / 2;
  const my = (a.y + b.y) / 2;
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.hypot(dx, dy) || 1;
  const bend = Math.min(40, len * 0.15);
  return { cx: mx - (dy / len) * bend, cy: my + (dx / len) * bend };
}

function edgeWidth(e: MapEdge): number {
  return Math.min(6, 1.5 + Math.log2(1 + e.forwarded + e.dropped) * 0.6);
}

function drawEdge(ctx: CanvasRenderingContext2D, e: MapEdge, layout: Layout, selected: boolean, scale: number): void {
  const a = layout.pos.get(e.from);
  const b = layout.pos.get(e.to);
  if (!a || !b || e.from === e.to) return;
  const { cx, cy } = edgeCurve(a, b);
  const dropped = e.verdict === 'DROPPED';
  ctx.strokeStyle = dropped ? COLORS.dropped : COLORS.forwarded;
  ctx.lineWidth = (selected ? edgeWidth(e) + 2.5 : edgeWidth(e)) / Math.max(scale, 0.35);
  ctx.setLineDash(dropped ? [7, 4] : []);
  ctx.beginPath();
  ctx.moveTo(a.x, a.y);
  ctx.quadraticCurveTo(cx, cy, b.x, b.y);
  ctx.stroke();
  // Arrow head where the curve meets the destination's circle.
  const ang = Math.atan2(b.y - cy, b.x - cx);
  const tipX = b.x - Math.cos(ang) * (NODE_R + 2);
  const tipY = b.y - Math.sin(ang) * (NODE_R + 2);
  const size = 9 / Math.max(scale, 0.5);
  ctx.setLineDash([]);
  ctx.fillStyle = ctx.strokeStyle;
  ctx.beginPath();
  ctx.moveTo(tipX, tipY);
  ctx.lineTo(tipX - Math.cos(ang - 0.4) * size, tipY - Math.sin(ang - 0.4) * size);
  ctx.lineTo(tipX - Math.cos(ang + 0.4) * size, tipY - Math.sin(ang + 0.4) * size);
  ctx.closePath();
  ctx.fill();
}

function edgeLabel(ctx: CanvasRenderingContext2D, e: MapEdge, layout: Layout): void {
  const a = layout.pos.get(e.from);
  const b = layout.pos.get(e.to);
  if (!a || !b || e.from === e.to) return;
  const { cx, cy } = edgeCurve(a, b);
  // The curve's midpoint (t = 0.5 of the quadratic).
  const x = 0.25 * a.x + 0.5 * cx + 0.25 * b.x;
  const y = 0.25 * a.y + 0.5 * cy + 0.25 * b.y;
  const parts: { text: string; color: string }[] = [];
  if (e.forwarded) parts.push({ text: `✓ ${e.forwarded}`, color: COLORS.forwarded });
  if (e.dropped) parts.push({ text: `✕ ${e.dropped}`, color: COLORS.dropped });
  ctx.font = '600 11px system-ui, sans-serif';
  const widths = parts.map((p) => ctx.measureText(p.text).width);
  const w = widths.reduce((s, v) => s + v, 0) + 8 * (parts.length - 1) + 10;
  ctx.fillStyle = 'rgba(255,255,255,0.92)';
  ctx.strokeStyle = COLORS.groupStroke;
  ctx.lineWidth = 1;
  ctx.beginPath();
  ctx.roundRect(x - w / 2, y - 9, w, 18, 9);
  ctx.fill();
  ctx.stroke();
  let px = x - w / 2 + 5;
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  parts.forEach((p, i) => {
    ctx.fillStyle = p.color;
    ctx.fillText(p.text, px, y + 0.5);
    px += widths[i]! + 8;
  });
}

/** Draw the whole map. Cost: one pass over groups, edges and nodes; labels only when they are legible. */
export function drawMap(ctx: CanvasRenderingContext2D, cssW: number, cssH: number, dpr: number, model: MapModel, layout: Layout, view: View, st: DrawState): void {
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, cssW, cssH);
  ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.tx, dpr * view.ty);
  const s = view.scale;

  for (const g of layout.groups) {
    ctx.fillStyle = g.kind === 'world' ? COLORS.worldFill : COLORS.groupFill;
    ctx.strokeStyle = COLORS.groupStroke;
    ctx.lineWidth = 1 / s;
    ctx.beginPath();
    ctx.roundRect(g.x, g.y, g.w, g.h, 10);
    ctx.fill();
    ctx.stroke();
  }

  // Zoomed out on a big map, pod-to-pod lines are a hairball: draw one arrow per pair of namespaces instead.
  const aggregate = model.edges.length > AGGREGATE_ABOVE && s < 0.5;
  const inside = aggregate ? drawGroupEdges(ctx, model, layout, s) : undefined;
  if (aggregate && (st.selectedNode || st.selectedEdge)) {
    // The selection's own pod-level edges stay visible over the namespace arrows.
    for (const e of model.edges) {
      if (e.from === st.selectedNode || e.to === st.selectedNode || e.key === st.selectedEdge) drawEdge(ctx, e, layout, e.key === st.selectedEdge, s);
    }
  }
  if (!aggregate) {
    // Forwarded first, then dropped on top: a drop is what a user looks for.
    const ordered = [...model.edges].sort((x, y) => (x.verdict === 'DROPPED' ? 1 : 0) - (y.verdict === 'DROPPED' ? 1 : 0));
    for (const e of ordered) drawEdge(ctx, e, layout, e.key === st.selectedEdge, s);
  }
  ctx.setLineDash([]);
  // Group titles over the arrows, with a white halo so crossing lines do not hide them.
  if (s > 0.12) {
    ctx.font = `600 ${Math.max(13, 12 / s)}px system-ui, sans-serif`;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'middle';
    ctx.strokeStyle = 'rgba(255,255,255,0.9)';
    ctx.lineWidth = 4 / s;
    ctx.lineJoin = 'round';
    ctx.fillStyle = COLORS.text;
    for (const g of layout.groups) {
      const title = g.kind === 'namespace' ? `namespace ${g.name}` : g.kind === 'world' ? 'world (outside the cluster)' : g.kind === 'host' ? 'nodes (host)' : 'unknown addresses';
      ctx.strokeText(`${title} · ${g.count}`, g.x + 12, g.y + 15);
      ctx.fillText(`${title} · ${g.count}`, g.x + 12, g.y + 15);
    }
  }
  if (inside && s > 0.12) {
    ctx.font = `${Math.max(12, 11 / s)}px system-ui, sans-serif`;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    for (const g of layout.groups) {
      const c = inside.get(g.name);
      if (!c) continue;
      const text = `inside: ✓ ${c.forwarded} ✕ ${c.dropped}`;
      // Only where it fits beside the group's title.
      ctx.font = `600 ${Math.max(13, 12 / s)}px system-ui, sans-serif`;
      const title = ctx.measureText(`namespace ${g.name} · ${g.count}`).width;
      ctx.font = `${Math.max(12, 11 / s)}px system-ui, sans-serif`;
      if (title + ctx.measureText(text).width + 36 > g.w) continue;
      ctx.fillStyle = c.dropping ? COLORS.dropped : COLORS.forwarded;
      ctx.fillText(text, g.x + g.w - 12, g.y + 15);
    }
  }

  const showLabels = s >= 0.45;
  for (const n of model.nodes.values()) {
    const p = layout.pos.get(n.id);
    if (!p) continue;
    if (st.highlight?.has(n.id)) {
      ctx.fillStyle = COLORS.highlight;
      ctx.beginPath();
      ctx.arc(p.x, p.y, NODE_R + 5, 0, Math.PI * 2);
      ctx.fill();
    }
    ctx.fillStyle = KIND_COLOR[n.kind];
    ctx.beginPath();
    ctx.arc(p.x, p.y, NODE_R, 0, Math.PI * 2);
    ctx.fill();
    if (n.id === st.selectedNode) {
      ctx.strokeStyle = COLORS.selected;
      ctx.lineWidth = 3 / Math.max(s, 0.5);
      ctx.stroke();
    }
    if (showLabels) {
      ctx.fillStyle = COLORS.text;
      ctx.font = '12px system-ui, sans-serif';
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      const label = n.label.length > 18 ? `${n.label.slice(0, 17)}…` : n.label;
      ctx.fillText(label, p.x, p.y + NODE_R + 4);
    }
  }

  if (model.edges.length <= 400 && s >= 0.5) for (const e of model.edges) edgeLabel(ctx, e, layout);
}

/** What is under a point (map coordinates): a node first, else the nearest edge within a few pixels. */
export function hitTest(model: MapModel, layout: Layout, x: number, y: number, scale: number, nodesOnly = false): { node?: string; edge?: string } {
  for (const n of model.nodes.values()) {
    const p = layout.pos.get(n.id);
    if (p && Math.hypot(p.x - x, p.y - y) <= NODE_R + 3 / scale) return { node: n.id };
  }
  if (nodesOnly) return {};
  let best: { edge: string; d: number } | undefined;
  const tol = 6 / scale;
  for (const e of model.edges) {
    const a = layout.pos.get(e.from);
    const b = layout.pos.get(e.to);
    if (!a || !b) continue;
    const { cx, cy } = edgeCurve(a, b);
    let px = a.x;
    let py = a.y;
    for (let i = 1; i <= 10; i++) {
      const t = i / 10;
      const qx = (1 - t) * (1 - t) * a.x + 2 * (1 - t) * t * cx + t * t * b.x;
      const qy = (1 - t) * (1 - t) * a.y + 2 * (1 - t) * t * cy + t * t * b.y;
      const d = segmentDistance(x, y, px, py, qx, qy);
      if (d <= tol && (!best || d < best.d)) best = { edge: e.key, d };
      px = qx;
      py = qy;
    }
  }
  return best ? { edge: best.edge } : {};
}

function segmentDistance(x: number, y: number, x1: number, y1: number, x2: number, y2: number): number {
  const dx = x2 - x1;
  const dy = y2 - y1;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - x1) * dx + (y - y1) * dy) / len2));
  return Math.hypot(x - (x1 + t * dx), y - (y1 + t * dy));
}
