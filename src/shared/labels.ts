/** Label maps shown over images: a colour per label value, the same in 2D and 3D. */
export interface LabelInfo {
  value: number;
  name: string;
  color: [number, number, number];
  visible: boolean;
}

/** A distinguishable palette (close to 3D Slicer's generic anatomy colours) for labels 1, 2, 3, … */
const PALETTE: [number, number, number][] = [
  [128, 174, 128], [241, 214, 145], [177, 122, 101], [111, 184, 210], [216, 101, 79], [221, 130, 101],
  [144, 238, 144], [192, 104, 88], [220, 245, 20], [78, 63, 0], [255, 250, 220], [230, 220, 70],
  [200, 200, 235], [250, 250, 210], [244, 214, 49], [0, 151, 206], [216, 101, 79], [183, 156, 220],
];

export function defaultLabelColor(value: number): [number, number, number] {
  return PALETTE[(value - 1) % PALETTE.length] ?? [255, 0, 0];
}

/** Voxels per non-zero label value, keyed by the value as a string (how job results carry it). */
export function voxelCountsByLabel(labels: ArrayLike<number>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i]!;
    if (v !== 0) counts[v] = (counts[v] ?? 0) + 1;
  }
  return counts;
}

/** The label values present in a label map (0 is background), ascending. */
export function labelsPresent(data: ArrayLike<number>): number[] {
  const seen = new Set<number>();
  for (let i = 0; i < data.length; i++) if (data[i]! !== 0) seen.add(data[i]!);
  return [...seen].sort((a, b) => a - b);
}

/** Whether two grids are the same to within `toleranceMm` (dims equal, affine entries close). */
export function sameGrid(a: { dims: number[]; affineLps: number[] }, b: { dims: number[]; affineLps: number[] }, toleranceMm = 1e-3): boolean {
  return a.dims.every((d, i) => d === b.dims[i]) && a.affineLps.every((v, i) => Math.abs(v - b.affineLps[i]!) <= toleranceMm);
}
