/**
 * The segments of a segmentation: one label value each in the label map, with the name, colour,
 * visibility, lock and (for DICOM SEG export) coded terminology a curator gives it.
 */
import { defaultLabelColor } from '../labels.js';

/** A coded concept (DICOM code sequence item), e.g. SCT 85756007 "Tissue". */
export interface Code {
  scheme: string;
  value: string;
  meaning: string;
}

export interface Segment {
  value: number;
  name: string;
  color: [number, number, number];
  visible: boolean;
  locked: boolean;
  /** segmented property category and type (DICOM SEG); optional until export */
  category?: Code;
  type?: Code;
}

/** The lowest label value not in use (1-based). */
export function freeLabelValue(segments: readonly Segment[], maxLabel: number): number {
  const used = new Set(segments.map((s) => s.value));
  for (let v = 1; v <= maxLabel; v++) if (!used.has(v)) return v;
  throw new RangeError(`no free label value (all ${maxLabel} are in use)`);
}

export function newSegment(segments: readonly Segment[], maxLabel: number, name?: string): Segment {
  const value = freeLabelValue(segments, maxLabel);
  return { value, name: name ?? `Segment ${value}`, color: defaultLabelColor(value), visible: true, locked: false };
}

export const lockedValues = (segments: readonly Segment[]): Set<number> => new Set(segments.filter((s) => s.locked).map((s) => s.value));
