/**
 * The agreement report as one self-contained HTML5 page: inline CSS and inline SVG, no scripts and no
 * external resources, so it renders offline, can be mailed or archived as one file, and passes the CSP
 * it declares itself (REPORT_CSP, also a defence should anything slip through escaping).
 *
 * Every string from the data (names, cases, labels, authors, models, reasons) is HTML-escaped; numbers
 * are shown at fixed precision (Dice 3 decimals, mm and ml 2 below 10 and 1 above) and undefined
 * values (NaN, ±Infinity) as "—". Sections carry stable data-testid attributes for tests.
 */
import type { AgreementReportData, VersionRef } from '../../shared/curation/agreement-data.js';
import type { LabelAgreement } from '../../shared/metrics/agreement.js';
import { boxPlotFigure, scatterFigure, type BoxSeries } from './report-charts.js';
import {
  escapeHtml as esc, fmtMl, fmtMlDiff, fmtMm, fmtPercentDiff, fmtRatio, labelColor, labelName, reportLabels, UNDEFINED_MARK,
} from './report-format.js';
import { linearFit, mean, quartiles, volumeDifference, type Quartiles } from './report-stats.js';

/** Rows below this Dice are highlighted (class "low"); undefined Dice counts as below. */
export const LOW_DICE = 0.8;

/** What the page needs, and all it may load: its own inline styles. */
export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/** One row of a table: a case or pair, and one label's agreement. */
interface Row {
  seriesId: number;
  caseName: string;
  r: LabelAgreement;
}

type Fmt = (v: number) => string;

export function renderAgreementHtml(data: AgreementReportData): string {
  const labels = reportLabels(data);
  const caseRows: (Row & { reference: VersionRef; ai: VersionRef })[] = data.cases.flatMap((c) =>
    c.rows.map((r) => ({ seriesId: c.seriesId, caseName: c.caseName, r, reference: c.reference, ai: c.ai })),
  );
  const body = [
    header(data, labels),
    summary(data, labels, caseRows),
    distributions(data, labels, caseRows),
    volumes(data, labels, caseRows),
    cases(data, caseRows),
    data.interAnnotator.length > 0 ? interAnnotator(data) : '',
    skipped(data),
  ];
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    // a constant without `"`, `&` or `<`, written as is so it reads as the CSP header would
    `<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${esc(data.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body><main>',
    ...body.filter((s) => s !== ''),
    '</main></body>',
    '</html>',
    '',
  ].join('\n');
}

function header(data: AgreementReportData, labels: readonly number[]): string {
  const labelList = labels.map((l) => `<li>${labelCell(data, l)}</li>`).join('');
  return `<header data-testid="report-header">
<h1>${esc(data.title)}</h1>
<dl class="meta">
<dt>Generated</dt><dd><time datetime="${esc(data.generatedAt)}">${esc(data.generatedAt)}</time></dd>
<dt>App version</dt><dd>Delineate ${esc(data.appVersion)}</dd>
<dt>Cases</dt><dd>${data.cases.length}${data.skipped.length ? ` (${data.skipped.length} skipped)` : ''}</dd>
<dt>Annotator pairs</dt><dd>${data.interAnnotator.length}</dd>
<dt>Labels</dt><dd>${labels.length ? `<ul class="labels">${labelList}</ul>` : UNDEFINED_MARK}</dd>
</dl>
<p class="method">Each case compares its latest AI version (test) with its accepted version (reference), per label, on voxels.
HD95 is the 95th percentile of the surface distances in both directions pooled; volume difference is AI − reference.
${UNDEFINED_MARK} marks an undefined value, such as a distance when a label is in one version only, or sensitivity when the reference lacks the label;
undefined values are left out of medians, means and plots and counted where they were.</p>
</header>`;
}

function summary(data: AgreementReportData, labels: readonly number[], rows: readonly Row[]): string {
  const head = ['Label', 'n', 'Dice median [IQR]', 'Dice mean', 'HD95 mm median [IQR]', 'Volume diff. mean ml', 'Volume diff. mean %', 'Sensitivity median', 'Specificity median'];
  const body = labels.map((l) => {
    const rs = rows.filter((x) => x.r.label === l).map((x) => x.r);
    if (rs.length === 0) return '';
    const diffs = rs.map((r) => volumeDifference(r.volumeAMl, r.volumeBMl));
    const dice = rs.map((r) => r.dice);
    return tr('', [
      labelCell(data, l),
      num(String(rs.length)),
      num(medianIqr(quartiles(dice), fmtRatio)),
      num(fmtRatio(mean(dice))),
      num(medianIqr(quartiles(rs.map((r) => r.hausdorff95Mm)), fmtMm)),
      num(fmtMlDiff(mean(diffs.map((d) => d.ml)))),
      num(fmtPercentDiff(mean(diffs.map((d) => d.percent)))),
      num(medianIqr(quartiles(rs.map((r) => r.sensitivity)), fmtRatio, false)),
      num(medianIqr(quartiles(rs.map((r) => r.specificity)), fmtRatio, false)),
    ]);
  });
  return section('report-summary', 'Summary: AI vs accepted, per label', table(head, body.filter((b) => b !== ''), 'No cases with both an AI and an accepted version.'));
}

function distributions(data: AgreementReportData, labels: readonly number[], rows: readonly Row[]): string {
  const series = (metric: (r: LabelAgreement) => number): BoxSeries[] =>
    labels
      .map((l) => ({ l, values: rows.filter((x) => x.r.label === l).map((x) => metric(x.r)) }))
      .filter((s) => s.values.length > 0)
      .map((s) => ({ label: s.l, name: labelName(data, s.l), color: labelColor(s.l), stats: quartiles(s.values) }));
  const hd95 = series((r) => r.hausdorff95Mm);
  const undefinedHd = hd95.reduce((sum, s) => sum + s.stats.excluded, 0);
  const dice = boxPlotFigure(series((r) => r.dice), {
    testId: 'report-boxplot-dice',
    caption: 'Dice per label, AI vs accepted (box: quartiles; whiskers: data within 1.5 IQR; dots: outliers).',
    axisTitle: 'Dice',
    domain: [0, 1],
    format: (v) => v.toFixed(1),
    valueFormat: fmtRatio,
  });
  const hd = boxPlotFigure(hd95, {
    testId: 'report-boxplot-hd95',
    caption: `HD95 (mm) per label, AI vs accepted.${undefinedHd ? ` ${undefinedHd} undefined value(s) (label in one version only) left out.` : ''}`,
    axisTitle: 'HD95 (mm)',
    format: axisNumber,
    valueFormat: fmtMm,
  });
  return section('report-distributions', 'Distributions', `<div class="charts">${dice}${hd}</div>`);
}

function volumes(data: AgreementReportData, labels: readonly number[], rows: readonly Row[]): string {
  const series = labels
    .map((l) => rows.filter((x) => x.r.label === l))
    .filter((rs) => rs.length > 0)
    .map((rs) => {
      const label = rs[0]!.r.label;
      const name = labelName(data, label);
      return {
        label,
        name,
        color: labelColor(label),
        points: rs.map((x) => ({ x: x.r.volumeAMl, y: x.r.volumeBMl, caption: `${x.caseName} · ${name}: accepted ${fmtMl(x.r.volumeAMl)} ml, AI ${fmtMl(x.r.volumeBMl)} ml` })),
        fit: linearFit(rs.map((x) => x.r.volumeAMl), rs.map((x) => x.r.volumeBMl)),
      };
    });
  const chart = scatterFigure(series, {
    testId: 'report-scatter-volume',
    caption: 'AI volume against accepted volume per case and label (ml); dashed: identity, solid: least-squares fit per label.',
    xTitle: 'Accepted volume (ml)',
    yTitle: 'AI volume (ml)',
    format: axisNumber,
  });
  return section('report-volumes', 'Volumes', chart);
}

function cases(data: AgreementReportData, rows: readonly (Row & { reference: VersionRef; ai: VersionRef })[]): string {
  const head = ['Case', 'Label', 'Dice', 'HD95 mm', 'Accepted ml', 'AI ml', 'Diff. ml', 'Diff. %', 'Reference', 'AI'];
  const body = worstFirst(rows).map((x) => {
    const d = volumeDifference(x.r.volumeAMl, x.r.volumeBMl);
    return tr(lowClass(x.r.dice), [
      caseCell(x), labelCell(data, x.r.label), num(fmtRatio(x.r.dice)), num(fmtMm(x.r.hausdorff95Mm)), num(fmtMl(x.r.volumeAMl)), num(fmtMl(x.r.volumeBMl)),
      num(fmtMlDiff(d.ml)), num(fmtPercentDiff(d.percent)), version(x.reference, x.reference.author), version(x.ai, x.ai.model || x.ai.author),
    ]);
  });
  const intro = `<p class="note">Worst first; rows with Dice below ${LOW_DICE} are highlighted.</p>`;
  return section('report-cases', 'Cases', intro + table(head, body, 'No cases.'));
}

function interAnnotator(data: AgreementReportData): string {
  const rows: (Row & { a: VersionRef; b: VersionRef })[] = data.interAnnotator.flatMap((p) =>
    p.rows.map((r) => ({ seriesId: p.seriesId, caseName: p.caseName, r, a: p.a, b: p.b })),
  );
  const labels = [...new Set(rows.map((x) => x.r.label))].sort((a, b) => a - b);
  const chart = boxPlotFigure(
    labels.map((l) => ({ label: l, name: labelName(data, l), color: labelColor(l), stats: quartiles(rows.filter((x) => x.r.label === l).map((x) => x.r.dice)) })),
    { testId: 'report-boxplot-inter-dice', caption: 'Pairwise Dice between annotators per label.', axisTitle: 'Dice', domain: [0, 1], format: (v) => v.toFixed(1), valueFormat: fmtRatio },
  );
  const head = ['Case', 'Label', 'Annotator A', 'Annotator B', 'Dice', 'HD95 mm', 'Volume A ml', 'Volume B ml'];
  const body = worstFirst(rows).map((x) =>
    tr(lowClass(x.r.dice), [
      caseCell(x), labelCell(data, x.r.label), version(x.a, x.a.author), version(x.b, x.b.author),
      num(fmtRatio(x.r.dice)), num(fmtMm(x.r.hausdorff95Mm)), num(fmtMl(x.r.volumeAMl)), num(fmtMl(x.r.volumeBMl)),
    ]),
  );
  const intro = "<p class=\"note\">Each pair compares two annotators' latest own versions of a case; A is the name that sorts first.</p>";
  return section('report-inter-annotator', 'Inter-annotator agreement', intro + chart + table(head, body, 'No pairs.'));
}

function skipped(data: AgreementReportData): string {
  const body = data.skipped.map((s) => tr('', [esc(s.caseName), num(String(s.seriesId)), esc(s.reason)]));
  return section('report-skipped', 'Skipped cases', table(['Case', 'Series', 'Reason'], body, 'No cases were skipped.'));
}

/** Ascending Dice, undefined first (it is no better than 0), then by case and label for a stable order. */
function worstFirst<T extends Row>(rows: readonly T[]): T[] {
  const key = (r: Row) => (Number.isNaN(r.r.dice) ? -Infinity : r.r.dice);
  return [...rows].sort((a, b) => key(a) - key(b) || a.caseName.localeCompare(b.caseName) || a.seriesId - b.seriesId || a.r.label - b.r.label);
}

function lowClass(dice: number): string {
  return dice >= LOW_DICE ? '' : 'low';
}

/** "median [q1–q3]", with how many undefined values were left out when asked and any were. */
function medianIqr(q: Quartiles, f: Fmt, withIqr = true): string {
  if (q.n === 0) return UNDEFINED_MARK + excludedNote(q);
  const iqr = withIqr ? ` <span class="iqr">[${f(q.q1)}–${f(q.q3)}]</span>` : '';
  return f(q.median) + iqr + excludedNote(q);
}

function excludedNote(q: Quartiles): string {
  return q.excluded > 0 ? ` <span class="note" title="undefined values left out">(${q.excluded} undef.)</span>` : '';
}

/** Axis ticks: up to 2 decimals, trailing zeros dropped (ticks are already round). */
function axisNumber(v: number): string {
  return String(Number(v.toFixed(2)));
}

function labelCell(data: AgreementReportData, label: number): string {
  return `<span class="swatch" style="background:${labelColor(label)}"></span>${esc(labelName(data, label))}`;
}

function caseCell(x: Row): string {
  return `${esc(x.caseName)} <span class="note">#${x.seriesId}</span>`;
}

function version(v: VersionRef, who: string): string {
  return `v${v.number}${who ? ` · ${esc(who)}` : ''}`;
}

/** A cell already escaped, marked numeric (right-aligned, tabular figures). */
function num(html: string): { num: string } {
  return { num: html };
}

function tr(cls: string, cells: readonly (string | { num: string })[]): string {
  const tds = cells.map((c) => (typeof c === 'string' ? `<td>${c}</td>` : `<td class="num">${c.num}</td>`)).join('');
  return `<tr${cls ? ` class="${cls}"` : ''}>${tds}</tr>`;
}

function table(head: readonly string[], rows: readonly string[], empty: string): string {
  if (rows.length === 0) return `<p class="empty">${esc(empty)}</p>`;
  const ths = head.map((h) => `<th scope="col">${esc(h)}</th>`).join('');
  return `<div class="table-wrap"><table><thead><tr>${ths}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div>`;
}

function section(testId: string, title: string, content: string): string {
  return `<section data-testid="${testId}">\n<h2>${esc(title)}</h2>\n${content}\n</section>`;
}

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; background: #fff; color: #1d1d1f; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 1.6em; margin: 0 0 .4em; }
h2 { font-size: 1.2em; margin: 2em 0 .6em; padding-bottom: .25em; border-bottom: 1px solid #ddd; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: .2em 1em; margin: 0 0 1em; }
dt { color: #555; }
dd { margin: 0; }
ul.labels, ul.legend { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: .3em 1.2em; }
ul.legend { margin-top: .4em; font-size: .9em; }
.swatch { display: inline-block; width: .9em; height: .9em; margin-right: .35em; vertical-align: -.1em; border: 1px solid rgba(0,0,0,.45); border-radius: 2px; }
.swatch.identity { width: 1.4em; height: 0; border: 0; border-top: 2px dashed #888; border-radius: 0; vertical-align: .25em; }
.method { color: #444; font-size: .92em; max-width: 85ch; }
.note, .iqr { color: #666; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .92em; }
th, td { padding: .3em .55em; border-bottom: 1px solid #e4e4e4; text-align: left; vertical-align: top; }
th { background: #f4f4f6; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:nth-child(even) { background: #fafafa; }
tbody tr.low { background: #fdecea; }
tbody tr.low td:first-child { box-shadow: inset 3px 0 #c62828; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure.chart { margin: 0 0 1em; max-width: 100%; }
figure.chart svg { display: block; max-width: 100%; height: auto; }
figcaption { color: #555; font-size: .9em; margin-top: .3em; max-width: 60ch; }
@media print {
  @page { margin: 14mm; }
  body { font-size: 10pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  figure.chart, tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .table-wrap { overflow: visible; }
}
`;
