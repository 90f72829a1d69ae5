/**
 * The harness page's window.__harness API, in a module without DOM or vtk.js imports so the Node-side
 * e2e test (compiled without the DOM lib) shares these types instead of restating them.
 */
import type { CropBox } from './geometry.js';
import type { Preset3d, TransferPoint } from './presets.js';

export type PhantomKind = 'ct' | 'mr' | 'ct-oblique' | 'ct-rot90';

export interface PixelStats {
  width: number;
  height: number;
  /** mean luminance of all pixels, 0–255 */
  mean: number;
  /** share of pixels that differ from the background colour */
  nonBackgroundFraction: number;
  /** share of pixels in each label colour's hue (label 1 red, label 2 blue) */
  redFraction: number;
  blueFraction: number;
  /** bounding box of the non-background pixels, as a share of the canvas area */
  footprint: number;
  /** that bounding box's width / height */
  bboxAspect: number;
  /** centre of the non-background pixels relative to the bounding box centre, in box half-sizes (+y up) */
  centroid: [number, number];
  /** mean RGB of the non-background pixels */
  foregroundRgb: [number, number, number];
}

export interface Counts {
  canvases: number;
  webglContextsCreated: number;
  webglContextsLive: number;
  liveVtkObjects: number;
}

export interface Harness {
  load(kind: PhantomKind, preset?: Preset3d): PixelStats;
  setPreset(preset: Preset3d): PixelStats;
  setShading(on: boolean): PixelStats;
  setTransferFunction(points: TransferPoint[]): PixelStats;
  setCrop(box: CropBox | null): PixelStats;
  /** `fresh` passes a new copy of the label voxels (a replaced label map rather than a restyled one) */
  setLabels(on: boolean, hidden?: number[], fresh?: boolean): PixelStats;
  /** show a new copy of the label map, then erase label `value` in place and pass it as changed (all, or `slices` only) */
  eraseLabelInPlace(value: number, slices?: number[]): PixelStats;
  resetCamera(): PixelStats;
  stats(): PixelStats;
  rotateFps(frames: number, degrees: number): number;
  dispose(): Counts;
  /** open a view, load the CT with labels and a crop box, render, dispose — n times; returns the counts afterwards */
  cycle(n: number): Counts;
  counts(): Counts;
  cspViolations(): string[];
  /** true when the page's CSP refuses string evaluation (new Function) */
  cspBlocksEval(): boolean;
  /** largest distance (mm) between the affine and vtkImageData's index → world for the oblique CT */
  geometryError(): number;
}

