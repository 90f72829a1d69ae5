/**
 * The agreement report's charts as inline SVG inside a <figure>: box plots (one box per label, side by
 * side) and a scatter coloured by label with identity and fitted lines. Static markup only: no
 * scripts, no external references (the page must render offline under a `default-src 'none'` CSP),
 * and no xmlns either, which inline SVG in HTML5 does not need (and whose URL would be the page's one
 * http reference). Hover tooltips come from SVG <title> elements, which need no script.
 *
 * Styling is by presentation attributes on the elements, so a figure copied out of the page keeps it.
 * Every caller-supplied string passes through escapeHtml; coordinates are rounded to 0.1 px.
 */
import { escapeHtml, fixed, truncate } from './report-format.js';
import { niceTicks, type LinearFit, type Quartiles } from './report-stats.js';

export interface BoxSeries {
  label: number;
  name: string;
  /** CSS colour */
  color: string;
  stats: Quartiles;
}

export interface BoxPlotOptions {
  testId: string;
  /** plain text, shown under the chart */
  caption: string;
  /** y axis title, plain text */
  axisTitle: string;
  /** a fixed value range (Dice: 0..1); default 0 to the data's maximum, widened to nice ticks */
  domain?: [number, number];
  /** axis tick labels */
  format: (v: number) => string;
  /** values in the tooltips, at the tables' precision */
  valueFormat: (v: number) => string;
}

export interface ScatterPoint {
  x: number;
  y: number;
  /** tooltip, plain text */
  caption: string;
}

export interface ScatterSeries {
  label: number;
  name: string;
  color: string;
  points: readonly ScatterPoint[];
  fit: LinearFit;
}

export interface ScatterOptions {
  testId: string;
  caption: string;
  xTitle: string;
  yTitle: string;
  format: (v: number) => string;
}

const M = { top: 14, right: 16, bottom: 48, left: 60 };
const BOX_PLOT_HEIGHT = 220;
const SLOT_WIDTH = 88;
const BOX_WIDTH = 36;
const SCATTER_SIZE = 320;
const AXIS_COLOR = '#444';
const GRID_COLOR = '#e3e3e3';
const INK = '#222';

/** A coordinate rounded to 0.1 px, as text. */
const px = (v: number): string => String(Math.round(v * 10) / 10);

type Scale = (v: number) => number;

export function boxPlotFigure(series: readonly BoxSeries[], o: BoxPlotOptions): string {
  const dataMax = Math.max(0, ...series.filter((s) => s.stats.n > 0).map((s) => s.stats.max));
  const ticks = o.domain ? niceTicks(o.domain[0], o.domain[1], 5) : niceTicks(0, dataMax || 1, 5);
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const width = M.left + Math.max(1, series.length) * SLOT_WIDTH + M.right;
  const height = M.top + BOX_PLOT_HEIGHT + M.bottom;
  const y: Scale = (v) => M.top + BOX_PLOT_HEIGHT * (1 - (v - lo) / (hi - lo));
  const parts = [
    ...ticks.map((t) => hLine(M.left, width - M.right, y(t), GRID_COLOR)),
    yAxis(ticks, y, o.format, o.axisTitle, M.top + BOX_PLOT_HEIGHT),
    hLine(M.left, width - M.right, M.top + BOX_PLOT_HEIGHT, AXIS_COLOR),
    ...series.map((s, i) => box(s, M.left + SLOT_WIDTH * (i + 0.5), y, o.valueFormat)),
  ];
  if (series.length === 0) parts.push(text(M.left + SLOT_WIDTH / 2, M.top + BOX_PLOT_HEIGHT / 2, 'no data', 'middle'));
  return figure(o.testId, o.caption, svg(width, height, o.caption, parts), '');
}

/** One label's box, whiskers, outliers and name; a note instead when it has no finite values. */
function box(s: BoxSeries, cx: number, y: Scale, format: (v: number) => string): string {
  const q = s.stats;
  const base = M.top + BOX_PLOT_HEIGHT;
  const name = [text(cx, base + 16, truncate(s.name, 13), 'middle'), text(cx, base + 30, `n = ${q.n}`, 'middle', '#666')];
  const left = q.excluded > 0 ? `; ${q.excluded} undefined left out` : '';
  if (q.n === 0) {
    return `<g class="box empty" data-label="${s.label}"><title>${escapeHtml(`${s.name}: no values${left}`)}</title>${text(cx, base - 8, 'no data', 'middle', '#666')}${name.join('')}</g>`;
  }
  const tip = `${s.name}: n = ${q.n}, median ${format(q.median)}, IQR ${format(q.q1)}–${format(q.q3)}, whiskers ${format(q.whiskerLow)}–${format(q.whiskerHigh)}, ${q.outliers.length} outlier(s)${left}`;
  const half = BOX_WIDTH / 2;
  const line = (x1: number, y1: number, x2: number, y2: number, extra = '') =>
    `<line x1="${px(x1)}" y1="${px(y1)}" x2="${px(x2)}" y2="${px(y2)}" stroke="${INK}"${extra}/>`;
  return [
    `<g class="box" data-label="${s.label}"><title>${escapeHtml(tip)}</title>`,
    line(cx, y(q.whiskerLow), cx, y(q.q1)),
    line(cx, y(q.q3), cx, y(q.whiskerHigh)),
    line(cx - half / 2, y(q.whiskerLow), cx + half / 2, y(q.whiskerLow)),
    line(cx - half / 2, y(q.whiskerHigh), cx + half / 2, y(q.whiskerHigh)),
    // at least 1 px tall, so a box of identical values still shows
    `<rect x="${px(cx - half)}" y="${px(y(q.q3))}" width="${BOX_WIDTH}" height="${px(Math.max(1, y(q.q1) - y(q.q3)))}" fill="${s.color}" fill-opacity="0.65" stroke="${INK}"/>`,
    line(cx - half, y(q.median), cx + half, y(q.median), ' stroke-width="2.5"'),
    ...q.outliers.map((v) => `<circle class="outlier" cx="${px(cx)}" cy="${px(y(v))}" r="3" fill="#fff" stroke="${INK}"/>`),
    ...name,
    '</g>',
  ].join('');
}

/** Volumes (or any non-negative pairs) on one square plot with equal axes, so y = x is the diagonal. */
export function scatterFigure(series: readonly ScatterSeries[], o: ScatterOptions): string {
  const values = series.flatMap((s) => s.points.flatMap((p) => [p.x, p.y])).filter((v) => Number.isFinite(v));
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values) || 1, 5);
  const lo = ticks[0]!;
  const hi = ticks[ticks.length - 1]!;
  const width = M.left + SCATTER_SIZE + M.right;
  const height = M.top + SCATTER_SIZE + M.bottom;
  const x: Scale = (v) => M.left + (SCATTER_SIZE * (v - lo)) / (hi - lo);
  const y: Scale = (v) => M.top + SCATTER_SIZE * (1 - (v - lo) / (hi - lo));
  const base = M.top + SCATTER_SIZE;
  const parts = [
    ...ticks.map((t) => hLine(M.left, width - M.right, y(t), GRID_COLOR)),
    ...ticks.map((t) => `<line x1="${px(x(t))}" y1="${M.top}" x2="${px(x(t))}" y2="${base}" stroke="${GRID_COLOR}"/>`),
    yAxis(ticks, y, o.format, o.yTitle, base),
    hLine(M.left, width - M.right, base, AXIS_COLOR),
    ...ticks.map((t) => text(x(t), base + 16, o.format(t), 'middle')),
    text(M.left + SCATTER_SIZE / 2, base + 36, o.xTitle, 'middle'),
    `<line class="identity" x1="${px(x(lo))}" y1="${px(y(lo))}" x2="${px(x(hi))}" y2="${px(y(hi))}" stroke="#888" stroke-dasharray="5 4"/>`,
    ...series.map((s) => fitLine(s, lo, hi, x, y)),
    ...series.flatMap((s) =>
      s.points
        .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y))
        .map((p) => `<circle class="point" data-label="${s.label}" cx="${px(x(p.x))}" cy="${px(y(p.y))}" r="3.5" fill="${s.color}" stroke="${INK}" stroke-width="0.75"><title>${escapeHtml(p.caption)}</title></circle>`),
    ),
  ];
  const legend = [
    ...series.map((s) => `<li><span class="swatch" style="background:${s.color}"></span>${escapeHtml(s.name)}: ${fitText(s.fit, o.format)}</li>`),
    '<li><span class="swatch identity"></span>identity, y = x</li>',
  ];
  return figure(o.testId, o.caption, svg(width, height, o.caption, parts), `<ul class="legend">${legend.join('')}</ul>`);
}

function fitText(fit: LinearFit, format: (v: number) => string): string {
  if (!Number.isFinite(fit.slope)) return `no fit (n = ${fit.n})`;
  const sign = fit.intercept < 0 ? '−' : '+';
  return `y = ${fixed(fit.slope, 3)}·x ${sign} ${format(Math.abs(fit.intercept))}, r² = ${fixed(fit.r2, 3)} (n = ${fit.n})`;
}

/** The fitted line clipped to the plot's square [lo, hi]², or nothing when it misses it or is undefined. */
function fitLine(s: ScatterSeries, lo: number, hi: number, x: Scale, y: Scale): string {
  const { slope, intercept } = s.fit;
  if (!Number.isFinite(slope) || !Number.isFinite(intercept)) return '';
  let x1 = lo;
  let x2 = hi;
  if (slope !== 0) {
    const a = (lo - intercept) / slope;
    const b = (hi - intercept) / slope;
    x1 = Math.max(x1, Math.min(a, b));
    x2 = Math.min(x2, Math.max(a, b));
  } else if (intercept < lo || intercept > hi) return '';
  if (!(x2 > x1)) return '';
  const at = (v: number) => slope * v + intercept;
  return `<line class="fit" data-label="${s.label}" x1="${px(x(x1))}" y1="${px(y(at(x1)))}" x2="${px(x(x2))}" y2="${px(y(at(x2)))}" stroke="${s.color}" stroke-width="2"/>`;
}

/** Tick labels, the axis line and its title, on the left. */
function yAxis(ticks: readonly number[], y: Scale, format: (v: number) => string, title: string, base: number): string {
  const cy = (M.top + base) / 2;
  return [
    `<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${base}" stroke="${AXIS_COLOR}"/>`,
    ...ticks.map((t) => text(M.left - 6, y(t) + 4, format(t), 'end')),
    `<text x="14" y="${px(cy)}" text-anchor="middle" transform="rotate(-90 14 ${px(cy)})" fill="${INK}">${escapeHtml(title)}</text>`,
  ].join('');
}

function hLine(x1: number, x2: number, y: number, color: string): string {
  return `<line x1="${px(x1)}" y1="${px(y)}" x2="${px(x2)}" y2="${px(y)}" stroke="${color}"/>`;
}

function text(x: number, y: number, content: string, anchor: 'start' | 'middle' | 'end', color = INK): string {
  return `<text x="${px(x)}" y="${px(y)}" text-anchor="${anchor}" fill="${color}">${escapeHtml(content)}</text>`;
}

function svg(width: number, height: number, label: string, parts: readonly string[]): string {
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(label)}" font-family="system-ui, sans-serif" font-size="11">${parts.join('')}</svg>`;
}

function figure(testId: string, caption: string, chart: string, after: string): string {
  return `<figure class="chart" data-testid="${escapeHtml(testId)}">${chart}${after}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

