// The agreement report's renderers on data built from real compareLabelMaps results on small synthetic
// label maps: the statistics against numpy's values, the CSVs parsed back (RFC 4180) cell for cell, and
// the HTML checked for escaping, its sections, charts, and the absence of scripts and external URLs.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { agreementCsv, AGREEMENT_CSV_COLUMNS, interAnnotatorCsv, INTER_ANNOTATOR_CSV_COLUMNS } from '../../src/main/curation/report-csv.js';
import { LOW_DICE, renderAgreementHtml } from '../../src/main/curation/report-html.js';
import { linearFit, niceTicks, pearson, quartiles } from '../../src/main/curation/report-stats.js';
import type { AgreementReportData, CaseAgreement, VersionRef } from '../../src/shared/curation/agreement-data.js';
import type { LabelGrid } from '../../src/shared/editing/grid.js';
import { compareLabelMaps } from '../../src/shared/metrics/agreement.js';

const [NX, NY, NZ] = [12, 12, 3];

/** A label map with boxes [x0, x1) × [y0, y1) × all slices of the given labels (later boxes win). */
function labelMap(boxes: [label: number, x0: number, x1: number, y0: number, y1: number][]): LabelGrid {
  const data = new Uint8Array(NX * NY * NZ);
  for (const [label, x0, x1, y0, y1] of boxes)
    for (let k = 0; k < NZ; k++) for (let j = y0; j < y1; j++) for (let i = x0; i < x1; i++) data[i + NX * (j + NY * k)] = label;
  return { dims: [NX, NY, NZ], spacing: [0.8, 0.8, 2.5], data };
}

const EVIL_CASE = '<script>alert("x")</script> & Smith, "Bob"';
const ref = (id: number, author: string): VersionRef => ({ id, number: 2, author, model: '' });
const ai = (id: number): VersionRef => ({ id, number: 3, author: 'ai', model: 'totalseg "fast", v2' });

function caseOf(seriesId: number, caseName: string, a: LabelGrid, b: LabelGrid): CaseAgreement {
  return { seriesId, segmentationId: seriesId * 10, caseName, reference: ref(seriesId * 100 + 1, "O'Brien"), ai: ai(seriesId * 100 + 2), rows: compareLabelMaps(a, b) };
}

const reference = labelMap([[1, 1, 6, 1, 6], [2, 7, 10, 7, 10]]);
const data: AgreementReportData = {
  title: 'Agreement <Liver> study',
  generatedAt: '2026-11-23T10:04:05.000Z',
  appVersion: '0.1.0',
  labelNames: { 1: 'Liver', 2: 'Lesion <2> & "rim"' },
  cases: [
    caseOf(1, 'DOE^JANE · CT chest 2 mm', reference, labelMap([[1, 2, 7, 1, 6], [2, 7, 10, 7, 10]])),
    caseOf(2, EVIL_CASE, reference, labelMap([[1, 1, 3, 1, 3], [2, 7, 10, 7, 10]])),
    // the AI missed label 2: Dice 0, distances Infinity
    caseOf(3, 'ROE^RICHARD', reference, labelMap([[1, 1, 6, 1, 5]])),
    // the reference lacks label 2: sensitivity NaN too
    caseOf(4, 'POE^EDGAR', labelMap([[1, 1, 7, 1, 7]]), labelMap([[1, 1, 6, 2, 6], [2, 8, 10, 8, 10]])),
  ],
  interAnnotator: [
    { seriesId: 1, segmentationId: 10, caseName: EVIL_CASE, a: ref(11, 'alice'), b: ref(12, 'bob & co'), rows: compareLabelMaps(reference, labelMap([[1, 1, 6, 2, 6], [2, 7, 9, 7, 10]])) },
  ],
  skipped: [{ seriesId: 9, caseName: 'NOBODY^<b>', reason: 'no accepted version' }],
};

/** RFC 4180: fields separated by commas, records by CRLF, quoted fields with "" for a quote. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    if (text[i] === '"') {
      for (i++; ; i++) {
        assert.ok(i < text.length, 'unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        }
        field += text[i];
      }
      i++;
      assert.ok(i >= text.length || text[i] === ',' || text[i] === '\r', `text after a closing quote at ${i}`);
    } else if (text[i] === ',') {
      record.push(field), (field = ''), i++;
    } else if (text.startsWith('\r\n', i)) {
      record.push(field), records.push(record), (record = []), (field = ''), (i += 2);
    } else {
      assert.notEqual(text[i], '\n', 'bare LF outside quotes');
      field += text[i++];
    }
  }
  assert.equal(field, '', 'the last record ends in CRLF');
  assert.equal(record.length, 0);
  return records;
}

/** A parsed CSV as objects keyed by its header. */
function csvObjects(text: string, columns: readonly string[]): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  assert.deepEqual(header, [...columns]);
  return rows.map((r) => {
    assert.equal(r.length, columns.length);
    return Object.fromEntries(columns.map((c, i) => [c, r[i]!]));
  });
}

/** The cell a value must be written as: the exact number read back, or empty when undefined. */
function assertCell(cell: string | undefined, value: number, what: string): void {
  if (Number.isFinite(value)) assert.equal(Number(cell), value, `${what}: ${cell} vs ${value}`);
  else assert.equal(cell, '', `${what}: undefined is an empty cell`);
}

/** The part of the page from one data-testid to the end of its element's kind (section or figure). */
function part(html: string, testId: string): string {
  const start = html.indexOf(`data-testid="${testId}"`);
  assert.ok(start >= 0, `${testId} present`);
  const open = html.lastIndexOf('<', start);
  const tag = /^<(\w+)/.exec(html.slice(open))![1]!;
  return html.slice(open, html.indexOf(`</${tag}>`, start) + tag.length + 3);
}

describe('report statistics', () => {
  test('quartiles match numpy (linear interpolation) with Tukey whiskers and outliers', () => {
    assert.deepEqual(quartiles([1, 2, 3, 4, 100]), { n: 5, excluded: 0, min: 1, q1: 2, median: 3, q3: 4, max: 100, whiskerLow: 1, whiskerHigh: 4, outliers: [100] });
    const even = quartiles([7, 1, 3, 5]);
    assert.deepEqual([even.q1, even.median, even.q3, even.outliers], [2.5, 4, 5.5, []]);
    const low = quartiles([-50, 10, 11, 12, 13]);
    assert.deepEqual([low.q1, low.median, low.q3, low.whiskerLow, low.whiskerHigh, low.outliers], [10, 11, 12, 10, 13, [-50]]);
    // matplotlib's rule: a whisker whose last point inside the fence lies within the box ends at the box
    const inBox = quartiles([0.25, 0.75, 0.8, 0.9]);
    assert.deepEqual([inBox.q1, inBox.whiskerLow, inBox.outliers], [0.625, 0.625, [0.25]]);
  });

  test('quartiles leave out non-finite values and count them', () => {
    const q = quartiles([NaN, 4, Infinity, 2, 1, -Infinity, 3]);
    assert.deepEqual([q.n, q.excluded, q.q1, q.median, q.q3], [4, 3, 1.75, 2.5, 3.25]);
    const none = quartiles([Infinity, NaN]);
    assert.equal(none.n, 0);
    assert.equal(none.excluded, 2);
    assert.ok(Number.isNaN(none.median));
    assert.deepEqual(none.outliers, []);
  });

  test('linearFit and pearson match numpy polyfit / corrcoef; undefined pairs are dropped', () => {
    const exact = linearFit([0, 1, 2, 3], [1, 3, 5, 7]);
    assert.deepEqual(exact, { n: 4, slope: 2, intercept: 1, r2: 1 });
    const fit = linearFit([1, 2, NaN, 3, 4], [2, 4, 9, 5, 4]);
    assert.equal(fit.n, 4);
    assert.ok(Math.abs(fit.slope - 0.7) < 1e-12 && Math.abs(fit.intercept - 2) < 1e-12);
    assert.ok(Math.abs(fit.r2 - 0.5157894736842106) < 1e-12);
    assert.ok(Math.abs(pearson([1, 2, 3, 4], [2, 4, 5, 4]) - 0.7181848464596079) < 1e-12);
    assert.ok(Number.isNaN(linearFit([2, 2, 2], [1, 2, 3]).slope));
    assert.ok(Number.isNaN(pearson([1], [1])));
  });

  test('niceTicks steps by 1, 2 or 5 × 10^k and covers the range', () => {
    assert.deepEqual(niceTicks(0, 1, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(niceTicks(0, 37, 5), [0, 10, 20, 30, 40]);
    assert.deepEqual(niceTicks(0.3, 0.7, 4), [0.3, 0.4, 0.5, 0.6, 0.7]);
    const flat = niceTicks(5, 5);
    assert.ok(flat[0]! <= 5 && flat[flat.length - 1]! >= 5 && flat.length >= 2);
    assert.deepEqual(niceTicks(0, Infinity), []);
  });
});

describe('agreement CSV', () => {
  test('the data really has the undefined cases the report must handle', () => {
    const missed = data.cases[2]!.rows.find((r) => r.label === 2)!;
    assert.equal(missed.dice, 0);
    assert.equal(missed.hausdorff95Mm, Infinity);
    const extra = data.cases[3]!.rows.find((r) => r.label === 2)!;
    assert.ok(Number.isNaN(extra.sensitivity));
    assert.equal(extra.volumeAMl, 0);
  });

  test('one row per case × label, numbers read back exactly, undefined as empty cells', () => {
    const text = agreementCsv(data);
    assert.ok(text.endsWith('\r\n'));
    const rows = csvObjects(text, AGREEMENT_CSV_COLUMNS);
    const expected = data.cases.flatMap((c) => c.rows.map((r) => ({ c, r })));
    assert.equal(rows.length, expected.length);
    expected.forEach(({ c, r }, i) => {
      const row = rows[i]!;
      assert.equal(row.case, c.caseName);
      assert.equal(Number(row.seriesId), c.seriesId);
      assert.equal(Number(row.label), r.label);
      assert.equal(row.labelName, data.labelNames[r.label]);
      assert.equal(row.referenceAuthor, "O'Brien");
      assert.equal(row.model, c.ai.model);
      assert.equal(Number(row.aiVersionId), c.ai.id);
      assertCell(row.dice, r.dice, 'dice');
      assertCell(row.iou, r.iou, 'iou');
      assertCell(row.sensitivity, r.sensitivity, 'sensitivity');
      assertCell(row.specificity, r.specificity, 'specificity');
      assertCell(row.hd95Mm, r.hausdorff95Mm, 'hd95');
      assertCell(row.asdMm, r.averageSurfaceDistanceMm, 'asd');
      assertCell(row.referenceMl, r.volumeAMl, 'reference ml');
      assertCell(row.aiMl, r.volumeBMl, 'ai ml');
      assertCell(row.volumeDiffMl, r.volumeBMl - r.volumeAMl, 'diff ml');
      assertCell(row.volumeDiffPercent, r.volumeAMl > 0 ? ((r.volumeBMl - r.volumeAMl) / r.volumeAMl) * 100 : NaN, 'diff %');
      assert.equal(Number(row.referenceVoxels), r.voxelsA);
      assert.equal(Number(row.aiVoxels), r.voxelsB);
    });
    const missed = rows.find((r) => r.seriesId === '3' && r.label === '2')!;
    assert.deepEqual([missed.dice, missed.hd95Mm, missed.asdMm], ['0', '', '']);
    const extra = rows.find((r) => r.seriesId === '4' && r.label === '2')!;
    assert.deepEqual([extra.sensitivity, extra.volumeDiffPercent], ['', '']);
  });

  test('inter-annotator CSV: one row per pair × label', () => {
    const rows = csvObjects(interAnnotatorCsv(data), INTER_ANNOTATOR_CSV_COLUMNS);
    const pair = data.interAnnotator[0]!;
    assert.equal(rows.length, pair.rows.length);
    pair.rows.forEach((r, i) => {
      const row = rows[i]!;
      assert.deepEqual([row.case, row.annotatorA, row.versionA, row.annotatorB, row.versionB], [EVIL_CASE, 'alice', '11', 'bob & co', '12']);
      assertCell(row.dice, r.dice, 'dice');
      assertCell(row.hd95Mm, r.hausdorff95Mm, 'hd95');
      assertCell(row.volumeAMl, r.volumeAMl, 'volume A');
      assertCell(row.volumeBMl, r.volumeBMl, 'volume B');
    });
  });
});

describe('agreement HTML', () => {
  const html = renderAgreementHtml(data);

  test('user strings are escaped and there is no script', () => {
    assert.doesNotMatch(html, /<script/i);
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Smith, &quot;Bob&quot;'));
    assert.ok(html.includes('Lesion &lt;2&gt; &amp; &quot;rim&quot;'));
    assert.ok(html.includes('O&#39;Brien') && html.includes('NOBODY^&lt;b&gt;') && html.includes('<title>Agreement &lt;Liver&gt; study</title>'));
    assert.doesNotMatch(html, /&(?!(amp|lt|gt|quot|#39);)/, 'every & is an entity');
  });

  test('nothing external: no URLs, no loads, and the CSP it declares', () => {
    assert.doesNotMatch(html, /https?:/i);
    assert.doesNotMatch(html, /\s(src|href|xlink:href|action)\s*=/i);
    assert.doesNotMatch(html, /url\(|@import/i);
    assert.ok(html.includes(`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`));
  });

  test('every section is there, and no raw NaN or Infinity leaks into the text', () => {
    for (const id of ['report-summary', 'report-boxplot-dice', 'report-boxplot-hd95', 'report-scatter-volume', 'report-cases', 'report-inter-annotator', 'report-skipped']) {
      assert.ok(html.includes(`data-testid="${id}"`), id);
    }
    // the page's own words say "undefined value(s)"; a leaked JS value would follow markup or a prefix
    assert.doesNotMatch(html, /NaN|Infinity|[>v#]undefined|="undefined"/);
    assert.ok(part(html, 'report-skipped').includes('no accepted version'));
  });

  test('box plots: a group per label; HD95 leaves out the undefined values and says so', () => {
    for (const id of ['report-boxplot-dice', 'report-boxplot-hd95']) {
      const fig = part(html, id);
      for (const label of [1, 2]) assert.match(fig, new RegExp(`<g class="box[^"]*" data-label="${label}"`), `${id} label ${label}`);
    }
    assert.match(part(html, 'report-boxplot-hd95'), /2 undefined value\(s\)/);
    assert.match(part(html, 'report-boxplot-inter-dice'), /data-label="1"/);
  });

  test('scatter: a circle per case × label, identity and fitted lines, r² in the legend', () => {
    const fig = part(html, 'report-scatter-volume');
    const points = data.cases.reduce((n, c) => n + c.rows.length, 0);
    assert.equal(fig.match(/<circle class="point"/g)?.length, points);
    assert.match(fig, /class="identity"/);
    assert.equal(fig.match(/<line class="fit"/g)?.length, 2);
    assert.equal(fig.match(/r² = \d\.\d{3}/g)?.length, 2);
  });

  test('cases table: worst Dice first, rows below the threshold marked', () => {
    const table = part(html, 'report-cases');
    const dice = [...table.matchAll(/<tr[^>]*>(?:<td>.*?<\/td>){2}<td class="num">([^<]+)<\/td>/g)].map((m) => Number(m[1]));
    const expected = data.cases.flatMap((c) => c.rows.map((r) => Number(r.dice.toFixed(3)))).sort((a, b) => a - b);
    assert.deepEqual(dice, expected);
    const low = data.cases.flatMap((c) => c.rows).filter((r) => r.dice < LOW_DICE).length;
    assert.ok(low > 0);
    assert.equal(table.match(/<tr class="low">/g)?.length, low);
  });

  test('without inter-annotator pairs the section is left out; with no cases it still renders', () => {
    const noPairs = renderAgreementHtml({ ...data, interAnnotator: [] });
    assert.ok(!noPairs.includes('report-inter-annotator'));
    const empty = renderAgreementHtml({ ...data, cases: [], interAnnotator: [], skipped: [] });
    for (const id of ['report-summary', 'report-boxplot-dice', 'report-scatter-volume', 'report-cases', 'report-skipped']) assert.ok(empty.includes(`data-testid="${id}"`));
    assert.doesNotMatch(empty, /NaN|Infinity/);
  });

  test('every SVG is well-formed XML (tags balanced; xmllint too where installed)', () => {
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    assert.equal(svgs.length, 4);
    for (const svg of svgs) {
      const stack: string[] = [];
      for (const m of svg.matchAll(/<(\/?)([a-zA-Z]+)[^>]*?(\/?)>/g)) {
        if (m[1]) assert.equal(stack.pop(), m[2], 'closing tag matches');
        else if (!m[3]) stack.push(m[2]!);
      }
      assert.deepEqual(stack, []);
    }
    if (!fs.existsSync('/usr/bin/xmllint')) return;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'report-svg-'));
    svgs.forEach((svg, i) => {
      const file = path.join(dir, `${i}.svg`);
      fs.writeFileSync(file, svg);
      execFileSync('/usr/bin/xmllint', ['--noout', file]);
    });
  });
});
