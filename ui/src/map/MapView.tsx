import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { perf } from '../perf.js';
import { COLORS } from './colors.js';
import { AGGREGATE_ABOVE, drawMap, hitTest, type View } from './draw.js';
import { layoutModel, type Layout } from './layout.js';
import type { MapModel } from './model.js';

export interface MapViewProps {
  model: MapModel;
  /** Whether the model holds everything the server had buffered (the perf probe records only then). */
  complete: boolean;
  selectedEdge?: string;
  selectedNode?: string;
  highlight?: ReadonlySet<string>;
  onSelectEdge(key: string): void;
  onSelectNode(id: string): void;
}

function fit(layout: Layout, w: number, h: number): View {
  const scale = Math.min(1.8, Math.max(0.05, Math.min((w - 32) / Math.max(1, layout.width), (h - 32) / Math.max(1, layout.height))));
  return { scale, tx: (w - layout.width * scale) / 2, ty: Math.max(16, (h - layout.height * scale) / 2) };
}

/** The service map on a canvas: pan by dragging, zoom with the wheel, click a pod or an edge to explain it. */
export function MapView(props: MapViewProps) {
  const wrap = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const [size, setSize] = useState({ w: 0, h: 0 });
  const view = useRef<View>({ scale: 1, tx: 0, ty: 0 });
  const touched = useRef(false);
  const drag = useRef<{ x: number; y: number; moved: boolean } | null>(null);
  const [, redraw] = useState(0);

  useEffect(() => {
    const el = wrap.current!;
    const ro = new ResizeObserver(() => setSize({ w: el.clientWidth, h: el.clientHeight }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const layoutTimed = useMemo(() => {
    const t0 = performance.now();
    const l = layoutModel(props.model, size.h > 0 ? size.w / size.h : 1.6);
    return { layout: l, ms: performance.now() - t0 };
  }, [props.model.groups, size.w > 0 && size.h > 0 ? Math.round((size.w / size.h) * 4) : 0]);
  const layout = layoutTimed.layout;
  const shape = `${layout.width}x${layout.height}`;

  useEffect(() => {
    if (!touched.current && size.w > 0) view.current = fit(layout, size.w, size.h);
  }, [shape, size.w, size.h]);

  useEffect(() => {
    const c = canvas.current;
    if (!c || size.w === 0) return;
    const dpr = window.devicePixelRatio || 1;
    if (c.width !== Math.round(size.w * dpr)) c.width = Math.round(size.w * dpr);
    if (c.height !== Math.round(size.h * dpr)) c.height = Math.round(size.h * dpr);
    const t0 = performance.now();
    drawMap(c.getContext('2d')!, size.w, size.h, dpr, props.model, layout, view.current, {
      ...(props.selectedEdge ? { selectedEdge: props.selectedEdge } : {}),
      ...(props.selectedNode ? { selectedNode: props.selectedNode } : {}),
      ...(props.highlight ? { highlight: props.highlight } : {}),
    });
    if (props.complete) {
      perf.layoutMs = layoutTimed.ms;
      perf.drawMs = performance.now() - t0;
      perf.edges = props.model.edges.length;
      perf.drawnAt = performance.now();
      if (perf.firstDrawnAt === 0) perf.firstDrawnAt = perf.drawnAt;
      window.__podwall!.map = {
        nodes: props.model.nodes.size,
        edges: props.model.edges.map((e) => ({ from: e.from, to: e.to, verdict: e.verdict, forwarded: e.forwarded, dropped: e.dropped })),
      };
    }
  });

  const toMap = (ev: MouseEvent) => {
    const r = canvas.current!.getBoundingClientRect();
    const v = view.current;
    return { x: (ev.clientX - r.left - v.tx) / v.scale, y: (ev.clientY - r.top - v.ty) / v.scale };
  };

  const onWheel = (ev: WheelEvent) => {
    ev.preventDefault();
    const r = canvas.current!.getBoundingClientRect();
    const v = view.current;
    const k = Math.exp(-ev.deltaY * 0.0015);
    const scale = Math.min(4, Math.max(0.03, v.scale * k));
    const mx = ev.clientX - r.left;
    const my = ev.clientY - r.top;
    view.current = { scale, tx: mx - ((mx - v.tx) * scale) / v.scale, ty: my - ((my - v.ty) * scale) / v.scale };
    touched.current = true;
    redraw((n) => n + 1);
  };

  const onDown = (ev: MouseEvent) => { drag.current = { x: ev.clientX, y: ev.clientY, moved: false }; };
  const onMove = (ev: MouseEvent) => {
    const d = drag.current;
    if (!d) return;
    const dx = ev.clientX - d.x;
    const dy = ev.clientY - d.y;
    if (!d.moved && Math.hypot(dx, dy) < 4) return;
    d.moved = true;
    d.x = ev.clientX;
    d.y = ev.clientY;
    view.current = { ...view.current, tx: view.current.tx + dx, ty: view.current.ty + dy };
    touched.current = true;
    redraw((n) => n + 1);
  };
  const onUp = (ev: MouseEvent) => {
    const d = drag.current;
    drag.current = null;
    if (!d || d.moved) return;
    const p = toMap(ev);
    const aggregated = props.model.edges.length > AGGREGATE_ABOVE && view.current.scale < 0.5;
    const hit = hitTest(props.model, layout, p.x, p.y, view.current.scale, aggregated);
    if (hit.node) props.onSelectNode(hit.node);
    else if (hit.edge) props.onSelectEdge(hit.edge);
  };

  const zoom = (k: number) => {
    const v = view.current;
    const cx = size.w / 2;
    const cy = size.h / 2;
    const scale = Math.min(4, Math.max(0.03, v.scale * k));
    view.current = { scale, tx: cx - ((cx - v.tx) * scale) / v.scale, ty: cy - ((cy - v.ty) * scale) / v.scale };
    touched.current = true;
    redraw((n) => n + 1);
  };

  return (
    <div class="map" ref={wrap}>
      <canvas
        ref={canvas}
        style={{ width: `${size.w}px`, height: `${size.h}px` }}
        aria-label="Service map"
        data-testid="service-map"
        onWheel={onWheel}
        onMouseDown={onDown}
        onMouseMove={onMove}
        onMouseUp={onUp}
        onMouseLeave={() => { drag.current = null; }}
      />
      <div class="map-tools">
        <button type="button" title="Zoom in" onClick={() => zoom(1.3)}>+</button>
        <button type="button" title="Zoom out" onClick={() => zoom(1 / 1.3)}>−</button>
        <button type="button" title="Fit the whole map" onClick={() => { touched.current = false; view.current = fit(layout, size.w, size.h); redraw((n) => n + 1); }}>Fit</button>
      </div>
      <Legend aggregated={props.model.edges.length > AGGREGATE_ABOVE && view.current.scale < 0.5} />
      {props.model.nodes.size === 0 && <div class="map-empty">No pods and no flows yet. Pods appear as the lab runs them; flows as they are decided.</div>}
    </div>
  );
}

function Legend(props: { aggregated: boolean }) {
  return (
    <div class="legend" aria-label="Legend">
      <div><svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" stroke={COLORS.forwarded} stroke-width="3" /></svg> forwarded (latest connection)</div>
      <div><svg width="34" height="10"><line x1="2" y1="5" x2="32" y2="5" stroke={COLORS.dropped} stroke-width="3" stroke-dasharray="7 4" /></svg> dropped (latest connection)</div>
      <div><span class="dot" style={{ background: COLORS.pod }} /> pod <span class="dot" style={{ background: COLORS.world }} /> world <span class="dot" style={{ background: COLORS.host }} /> node</div>
      <div class="muted">✓ forwarded · ✕ dropped: connections · boxes: namespaces</div>
      {props.aggregated && <div class="muted">zoomed out: one arrow per pair of namespaces; zoom in for pods</div>}
    </div>
  );
}
