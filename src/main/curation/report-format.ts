/**
 * What the agreement report's HTML, charts and CSV share: label names, colours and order, HTML
 * escaping, and the fixed-precision number formats of the page (the CSV writes full precision).
 */
import type { AgreementReportData } from '../../shared/curation/agreement-data.js';
import { defaultLabelColor } from '../../shared/labels.js';

/** How the page shows an undefined value (NaN, ±Infinity). */
export const UNDEFINED_MARK = '—';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML (and SVG) element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** The segment name of a label value, the value itself when unnamed. */
export function labelName(data: AgreementReportData, label: number): string {
  return data.labelNames[label] ?? String(label);
}

/** Every label value the report has a row for (cases and annotator pairs), ascending. */
export function reportLabels(data: AgreementReportData): number[] {
  const seen = new Set<number>();
  for (const group of [data.cases, data.interAnnotator]) for (const c of group) for (const r of c.rows) seen.add(r.label);
  return [...seen].sort((a, b) => a - b);
}

/** The label's colour as the viewer draws it, as a CSS/SVG colour. */
export function labelColor(label: number): string {
  const [r, g, b] = defaultLabelColor(label);
  return `rgb(${r},${g},${b})`;
}

/** Fixed decimals, or the undefined mark; never "-0.00". */
export function fixed(v: number, digits: number): string {
  if (!Number.isFinite(v)) return UNDEFINED_MARK;
  const text = v.toFixed(digits);
  return Number(text) === 0 ? (0).toFixed(digits) : text;
}

/** Fixed decimals with an explicit sign, for differences. */
export function signed(v: number, digits: number): string {
  const text = fixed(v, digits);
  return Number.isFinite(v) && Number(text) > 0 ? `+${text}` : text;
}

/** Dice, IoU, sensitivity, specificity, r²: 3 decimals. */
export const fmtRatio = (v: number): string => fixed(v, 3);

/** 2 decimals below 10 (a voxel is ~1 mm, ~0.001 ml), 1 above, where more would be noise. */
const digitsFor = (v: number): number => (Math.abs(v) < 10 ? 2 : 1);

/** Millimetres (surface distances). */
export const fmtMm = (v: number): string => fixed(v, digitsFor(v));

/** Millilitres (volumes). */
export const fmtMl = (v: number): string => fixed(v, digitsFor(v));

/** A signed volume difference in ml. */
export const fmtMlDiff = (v: number): string => signed(v, digitsFor(v));

/** A signed percentage, 1 decimal. */
export const fmtPercentDiff = (v: number): string => (Number.isFinite(v) ? `${signed(v, 1)}%` : UNDEFINED_MARK);

/** Shortens a name for a chart axis (the full name goes in the element's tooltip). */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}
