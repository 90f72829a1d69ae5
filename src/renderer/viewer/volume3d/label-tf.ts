/**
 * Transfer functions that show a label map in 3D with the same colours as the 2D overlay: one
 * opacity plateau per visible label value, nothing for 0 (background) or hidden labels.
 */
import type vtkPiecewiseFunction from '@kitware/vtk.js/Common/DataModel/PiecewiseFunction';
import type vtkColorTransferFunction from '@kitware/vtk.js/Rendering/Core/ColorTransferFunction';

export interface LabelMapInput {
  /** one label value per voxel, on the volume's grid */
  data: Uint8Array | Uint16Array;
  /** RGB 0–255 per label value, as in 2D */
  colors: Record<number, [number, number, number]>;
  /** labels set to false are not drawn (absent means visible) */
  visible?: Record<number, boolean>;
  /**
   * Set when `data` is the array of the previous call, edited in place since: true re-uploads every
   * voxel; a list of k slices re-uploads only those (vtk.js updated extents), which is what an edit needs.
   * (A different array is always uploaded; the same one without this flag only restyles: colours and
   * visibility.)
   */
  changed?: boolean | number[];
}

/** Opacity of a label voxel per unit distance: nearly solid, so structures read as surfaces. */
export const LABEL_OPACITY = 0.9;
/**
 * Half-width of each label's plateau. Labels are sampled with nearest interpolation, so the lookup
 * always hits an exact integer; the plateau only has to be wider than a TF texel.
 */
const HALF_WIDTH = 0.3;

type ColorTf = ReturnType<typeof vtkColorTransferFunction.newInstance>;
type OpacityTf = ReturnType<typeof vtkPiecewiseFunction.newInstance>;

/** A TF texture width giving every integer label value several texels (capped at 4096). */
export function labelTextureWidth(maxLabel: number): number {
  return Math.min(4096, Math.max(1024, 8 * (maxLabel + 2)));
}

/** Fill the label transfer functions; returns the largest label value they cover. */
export function labelTransferFunctions(labels: LabelMapInput, colorTf: ColorTf, opacityTf: OpacityTf): number {
  const values = Object.keys(labels.colors)
    .map(Number)
    .filter((v) => Number.isInteger(v) && v > 0)
    .sort((a, b) => a - b);
  const maxLabel = values.length ? values[values.length - 1]! : 1;
  colorTf.removeAllPoints();
  opacityTf.removeAllPoints();
  // fixed end points keep the TF range [0, max + 1] non-degenerate even with no visible label
  colorTf.addRGBPoint(0, 0, 0, 0);
  colorTf.addRGBPoint(maxLabel + 1, 0, 0, 0);
  opacityTf.addPoint(0, 0);
  opacityTf.addPoint(maxLabel + 1, 0);
  for (const value of values) {
    if (labels.visible?.[value] === false) continue;
    const [r, g, b] = labels.colors[value]!;
    for (const x of [value - HALF_WIDTH, value + HALF_WIDTH]) {
      colorTf.addRGBPoint(x, r / 255, g / 255, b / 255);
      opacityTf.addPoint(x, LABEL_OPACITY);
    }
    opacityTf.addPoint(value - 0.5, 0);
    opacityTf.addPoint(value + 0.5, 0);
  }
  return maxLabel;
}
