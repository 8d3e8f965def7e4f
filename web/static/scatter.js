// An interactive scatter plot on a canvas, for the t-SNE maps: points with a label and a colour,
// fitted to the canvas, wheel zoom around the pointer, drag pan, arrow keys and +/−/0 on the
// focused canvas, a tooltip on hover, a callback on click. Labels are drawn for every point that
// has room (or only for the hovered and selected ones). The canvas carries data-drawn (points
// drawn in the last frame), data-total and data-zoom.

const MIN_ZOOM = 0.5;
const MAX_ZOOM = 60;
const HIT_RADIUS = 12;
/** Margin in CSS pixels between the fitted layout and the canvas edge. */
export const PADDING = 36;
const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/**
 * @typedef {{x: number, y: number, label: string, colour: string, tooltip?: string}} ScatterPoint
 * `colour` names a CSS custom property of the canvas (e.g. "--map-mtt").
 */

export class ScatterPlot {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {HTMLElement} tooltip an absolutely positioned element over the canvas
   * @param {{onSelect: (p: ScatterPoint) => void}} callbacks
   */
  constructor(canvas, tooltip, { onSelect }) {
    this.canvas = canvas;
    this.tooltip = tooltip;
    this.ctx = canvas.getContext('2d');
    this.onSelect = onSelect;
    /** @type {ScatterPoint[]} */
    this.points = [];
    this.allLabels = true;
    this.radius = 4;
    this.hovered = null;
    this.selected = null;
    this.bounds = { minX: 0, maxX: 1, minY: 0, maxY: 1 };
    this.view = { zoom: 1, cx: 0.5, cy: 0.5 };
    this.drag = null;
    this.listen();
    new ResizeObserver(() => this.resize()).observe(canvas);
    window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.draw());
  }

  /**
   * Show `points`; `allLabels` false draws only the hovered and selected labels (dense layouts).
   * @param {ScatterPoint[]} points
   */
  setPoints(points, { allLabels = true, radius = 4 } = {}) {
    this.points = points;
    this.allLabels = allLabels;
    this.radius = radius;
    this.hovered = null;
    this.selected = null;
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    this.bounds = { minX: Math.min(...xs), maxX: Math.max(...xs), minY: Math.min(...ys), maxY: Math.max(...ys) };
    this.canvas.dataset.total = String(points.length);
    this.reset();
  }

  /** Mark `point` (or nothing) as selected. */
  select(point) {
    this.selected = point;
    this.draw();
  }

  /** Fit the whole layout again. */
  reset() {
    const b = this.bounds;
    this.view = { zoom: 1, cx: (b.minX + b.maxX) / 2, cy: (b.minY + b.maxY) / 2 };
    this.resize();
  }

  /** Zoom by `factor` around the canvas centre. */
  zoomBy(factor) {
    const { width, height } = this.size();
    this.zoomAt(factor, width / 2, height / 2);
  }

  // ---- geometry ----

  size() {
    const rect = this.canvas.getBoundingClientRect();
    return { width: rect.width, height: rect.height };
  }

  /** Pixels per layout unit at zoom 1: the whole layout fits the canvas. */
  baseScale() {
    const { width, height } = this.size();
    const b = this.bounds;
    const spanX = Math.max(b.maxX - b.minX, 1e-9);
    const spanY = Math.max(b.maxY - b.minY, 1e-9);
    return Math.max(1e-9, Math.min((width - 2 * PADDING) / spanX, (height - 2 * PADDING) / spanY));
  }

  toScreen(p) {
    const { width, height } = this.size();
    const s = this.baseScale() * this.view.zoom;
    return { x: (p.x - this.view.cx) * s + width / 2, y: (this.view.cy - p.y) * s + height / 2 };
  }

  toWorld(sx, sy) {
    const { width, height } = this.size();
    const s = this.baseScale() * this.view.zoom;
    return { x: (sx - width / 2) / s + this.view.cx, y: this.view.cy - (sy - height / 2) / s };
  }

  /** Zoom by `factor`, keeping the layout point under (sx, sy) where it is. */
  zoomAt(factor, sx, sy) {
    const before = this.toWorld(sx, sy);
    this.view.zoom = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, this.view.zoom * factor));
    const after = this.toWorld(sx, sy);
    this.view.cx += before.x - after.x;
    this.view.cy += before.y - after.y;
    this.draw();
  }

  panBy(dx, dy) {
    const s = this.baseScale() * this.view.zoom;
    this.view.cx -= dx / s;
    this.view.cy += dy / s;
    this.draw();
  }

  nearest(sx, sy) {
    let best = null;
    let bestDistance = HIT_RADIUS * HIT_RADIUS;
    for (const p of this.points) {
      const q = this.toScreen(p);
      const d = (q.x - sx) ** 2 + (q.y - sy) ** 2;
      if (d <= bestDistance) {
        best = p;
        bestDistance = d;
      }
    }
    return best;
  }

  // ---- drawing ----

  resize() {
    const { width, height } = this.size();
    const ratio = window.devicePixelRatio || 1;
    this.canvas.width = Math.max(1, Math.round(width * ratio));
    this.canvas.height = Math.max(1, Math.round(height * ratio));
    this.draw();
  }

  draw() {
    const { canvas, ctx } = this;
    if (!this.points.length || canvas.offsetParent === null) return;
    const { width, height } = this.size();
    const ratio = canvas.width / Math.max(width, 1);
    const style = getComputedStyle(canvas);
    const colour = (name) => style.getPropertyValue(name).trim() || '#888';
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    ctx.textBaseline = 'middle';
    const radius = Math.min(this.radius + 3, this.radius - 0.5 + Math.log2(this.view.zoom + 1));
    const screen = this.points.map((p) => ({ p, q: this.toScreen(p) }));
    let drawn = 0;
    for (const { p, q } of screen) {
      if (q.x < -radius || q.y < -radius || q.x > width + radius || q.y > height + radius) continue;
      ctx.beginPath();
      ctx.arc(q.x, q.y, radius, 0, Math.PI * 2);
      ctx.fillStyle = colour(p.colour);
      ctx.fill();
      drawn += 1;
    }
    // Labels: the selected and hovered points first, then every other one that has room.
    const emphasised = screen.filter(({ p }) => p === this.selected || p === this.hovered);
    const rest = this.allLabels ? screen.filter(({ p }) => p !== this.selected && p !== this.hovered) : [];
    const placed = [];
    for (const { p, q } of [...emphasised, ...rest]) {
      const strong = p === this.selected || p === this.hovered;
      ctx.font = `${strong ? '600 13px' : '12px'} ${FONT}`;
      const box = { x: q.x + radius + 3, y: q.y - 8, w: ctx.measureText(p.label).width, h: 16 };
      if (box.x > width || box.x + box.w < 0 || box.y > height || box.y + box.h < 0) continue;
      if (!strong && placed.some((b) => b.x < box.x + box.w && box.x < b.x + b.w && b.y < box.y + box.h && box.y < b.y + b.h)) continue;
      placed.push(box);
      ctx.lineWidth = 3;
      ctx.strokeStyle = colour('--map-halo');
      ctx.strokeText(p.label, box.x, q.y);
      ctx.fillStyle = colour(strong ? '--map-accent' : '--map-label');
      ctx.fillText(p.label, box.x, q.y);
    }
    for (const { q } of emphasised) {
      ctx.beginPath();
      ctx.arc(q.x, q.y, radius + 4, 0, Math.PI * 2);
      ctx.lineWidth = 2;
      ctx.strokeStyle = colour('--map-accent');
      ctx.stroke();
    }
    canvas.dataset.drawn = String(drawn);
    canvas.dataset.labels = String(placed.length);
    canvas.dataset.zoom = this.view.zoom.toFixed(3);
  }

  // ---- interaction ----

  localPoint(event) {
    const rect = this.canvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  showTooltip(p) {
    if (!p) {
      this.tooltip.hidden = true;
      return;
    }
    const q = this.toScreen(p);
    this.tooltip.textContent = p.tooltip ?? p.label;
    this.tooltip.style.left = `${q.x}px`;
    this.tooltip.style.top = `${q.y}px`;
    this.tooltip.hidden = false;
  }

  hover(p) {
    if (p !== this.hovered) {
      this.hovered = p;
      this.canvas.style.cursor = p ? 'pointer' : '';
      this.draw();
    }
    this.showTooltip(p);
  }

  listen() {
    const { canvas } = this;
    canvas.addEventListener('pointerdown', (event) => {
      canvas.setPointerCapture(event.pointerId);
      const at = this.localPoint(event);
      this.drag = { x: at.x, y: at.y, moved: false };
    });
    canvas.addEventListener('pointermove', (event) => {
      const at = this.localPoint(event);
      const drag = this.drag;
      if (drag && (drag.moved || Math.abs(at.x - drag.x) + Math.abs(at.y - drag.y) > 3)) {
        drag.moved = true;
        canvas.classList.add('dragging');
        this.panBy(at.x - drag.x, at.y - drag.y);
        drag.x = at.x;
        drag.y = at.y;
        this.showTooltip(null);
        return;
      }
      this.hover(this.nearest(at.x, at.y));
    });
    canvas.addEventListener('pointerup', (event) => {
      const wasDrag = this.drag && this.drag.moved;
      this.drag = null;
      canvas.classList.remove('dragging');
      if (wasDrag) return;
      const at = this.localPoint(event);
      const p = this.nearest(at.x, at.y);
      if (p) this.onSelect(p);
    });
    canvas.addEventListener('pointerleave', () => {
      if (!this.drag) this.hover(null);
    });
    canvas.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        const at = this.localPoint(event);
        const delta = event.deltaMode === 1 ? event.deltaY * 16 : event.deltaY;
        this.zoomAt(Math.exp(-delta * 0.0015), at.x, at.y);
      },
      { passive: false },
    );
    canvas.addEventListener('keydown', (event) => {
      const step = 40;
      const actions = {
        ArrowLeft: () => this.panBy(step, 0),
        ArrowRight: () => this.panBy(-step, 0),
        ArrowUp: () => this.panBy(0, step),
        ArrowDown: () => this.panBy(0, -step),
        '+': () => this.zoomBy(1.25),
        '=': () => this.zoomBy(1.25),
        '-': () => this.zoomBy(0.8),
        0: () => this.reset(),
      };
      const action = actions[event.key];
      if (action) {
        event.preventDefault();
        action();
      }
    });
  }
}
