/**
 * What the agreement report is made from: per case, the per-label agreement of its AI version with its
 * accepted version (the reference), and per pair of annotators of a case, theirs. Collected by
 * src/main/curation/agreement-report.ts, rendered to HTML and CSV by report-html.ts / report-csv.ts.
 */
import type { LabelAgreement } from '../metrics/agreement.js';

export interface VersionRef {
  id: number;
  /** 1, 2, … within its segmentation */
  number: number;
  author: string;
  /** AI versions: the model id and version; others: '' */
  model: string;
}

export interface CaseAgreement {
  seriesId: number;
  segmentationId: number;
  /** e.g. "DOE^JANE · CT chest 2 mm", what a curator recognises the case by */
  caseName: string;
  /** the accepted head version: the reference (A) */
  reference: VersionRef;
  /** the latest AI version: the test (B) */
  ai: VersionRef;
  /** compareLabelMaps(reference, ai): per label, ascending; Infinity/NaN where undefined */
  rows: LabelAgreement[];
}

export interface AnnotatorPair {
  seriesId: number;
  segmentationId: number;
  caseName: string;
  /** each annotator's latest own (manual) version; a is the one whose name sorts first */
  a: VersionRef;
  b: VersionRef;
  rows: LabelAgreement[];
}

export interface AgreementReportData {
  title: string;
  /** ISO time */
  generatedAt: string;
  appVersion: string;
  /** label value → segment name (from the accepted versions; the value itself when unnamed) */
  labelNames: Record<number, string>;
  cases: CaseAgreement[];
  interAnnotator: AnnotatorPair[];
  /** cases asked for but not in the report, and why */
  skipped: { seriesId: number; caseName: string; reason: string }[];
}
