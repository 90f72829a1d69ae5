/**
 * Our segments as the labels every mask export describes (NIfTI sidecar, DICOM SEG, RTSTRUCT): name,
 * colour, coded terminology and how the mask was made.
 *
 * Segment Algorithm Type (PS3.3 C.8.20.2.3) from the version's source:
 * - ai → AUTOMATIC, named by the model id and version from the provenance;
 * - manual → MANUAL (drawn or edited by a person);
 * - merge → SEMIAUTOMATIC, named "Delineate merge": an algorithm combined the masks at a person's choice;
 * - import → MANUAL: how an imported mask was made is unknown, and DICOM requires an algorithm name
 *   for the other types, which we do not have. If the provenance names a model, AUTOMATIC with it.
 */
import type { Segment } from '../editing/segments.js';
import type { MaskLabel } from '../interchange.js';
import type { Provenance, VersionSource } from '../segmentation.js';

/** DICOM's LO limit, which MaskLabel names and algorithm names follow. */
const MAX_TEXT = 64;
const clip = (text: string) => (text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text);

/** "<model id> <model version>" (or the id alone), clipped to 64 characters; null without a model id. */
export function algorithmNameOf(provenance: Provenance): string | null {
  const id = provenance.modelId?.trim();
  if (!id) return null;
  const version = provenance.modelVersion?.trim();
  return clip(version ? `${id} ${version}` : id);
}

export function algorithmOf(source: VersionSource, provenance: Provenance): Pick<MaskLabel, 'algorithmType' | 'algorithmName'> {
  const model = algorithmNameOf(provenance);
  switch (source) {
    case 'ai':
      return { algorithmType: 'AUTOMATIC', algorithmName: model ?? 'unknown model' };
    case 'merge':
      return { algorithmType: 'SEMIAUTOMATIC', algorithmName: 'Delineate merge' };
    case 'import':
      return model ? { algorithmType: 'AUTOMATIC', algorithmName: model } : { algorithmType: 'MANUAL' };
    case 'manual':
      return { algorithmType: 'MANUAL' };
  }
}

/** The name a label travels under: trimmed, "Segment <value>" when empty, at most 64 characters. */
export const labelNameOf = (segment: Pick<Segment, 'name' | 'value'>): string => clip(segment.name.trim() || `Segment ${segment.value}`);

/** One MaskLabel per segment, in value order. */
export function maskLabelsOf(segments: readonly Segment[], source: VersionSource, provenance: Provenance): MaskLabel[] {
  const algorithm = algorithmOf(source, provenance);
  return [...segments]
    .sort((a, b) => a.value - b.value)
    .map((s) => ({
      value: s.value,
      name: labelNameOf(s),
      color: [s.color[0], s.color[1], s.color[2]],
      ...(s.category ? { category: { ...s.category } } : {}),
      ...(s.type ? { type: { ...s.type } } : {}),
      ...algorithm,
    }));
}

/** A label arriving with a mask (or a model manifest) as a segment of ours: shown and unlocked. */
export function segmentOfLabel(label: Pick<MaskLabel, 'value' | 'name' | 'color' | 'category' | 'type'>): Segment {
  return {
    value: label.value,
    name: label.name,
    color: [label.color[0], label.color[1], label.color[2]],
    visible: true,
    locked: false,
    ...(label.category ? { category: label.category } : {}),
    ...(label.type ? { type: label.type } : {}),
  };
}
