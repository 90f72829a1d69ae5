/**
 * Coded terminology for segments, as DICOM SEG records it (Segmented Property Category and Type, from
 * DICOM CID 7150/7151, SNOMED CT codes). A short list of what curators label most; more come with
 * the interchange work.
 */
import type { Code } from './editing/segments.js';

const ANATOMY: Code = { scheme: 'SCT', value: '91723000', meaning: 'Anatomical Structure' };
const ALTERED: Code = { scheme: 'SCT', value: '49755003', meaning: 'Morphologically Altered Structure' };

export interface TerminologyEntry {
  category: Code;
  type: Code;
}

const sct = (value: string, meaning: string): Code => ({ scheme: 'SCT', value, meaning });

export const COMMON_TERMS: readonly TerminologyEntry[] = [
  ...[
    sct('10200004', 'Liver'),
    sct('64033007', 'Kidney'),
    sct('78961009', 'Spleen'),
    sct('15776009', 'Pancreas'),
    sct('39607008', 'Lung'),
    sct('80891009', 'Heart'),
    sct('12738006', 'Brain'),
    sct('41216001', 'Prostate'),
    sct('272673000', 'Bone'),
    sct('59820001', 'Blood vessel'),
  ].map((type) => ({ category: ANATOMY, type })),
  ...[sct('108369006', 'Neoplasm'), sct('52988006', 'Lesion'), sct('4147007', 'Mass')].map((type) => ({ category: ALTERED, type })),
];

/** The list entry for a segment's codes, if it is one of them. */
export function findTerm(type: Code | undefined): TerminologyEntry | undefined {
  return type && COMMON_TERMS.find((t) => t.type.scheme === type.scheme && t.type.value === type.value);
}
