/**
 * Pure geometry for the 3D view: the voxel-index → LPS affine split into what vtkImageData wants
 * (origin, spacing, 3×3 direction cosines), and crop boxes in index space turned into world planes.
 */
import type { Vec3, VolumeGeometry } from '../../../shared/volume.js';

export type Mat3 = [number, number, number, number, number, number, number, number, number];

export interface ImageGeometry {
  origin: Vec3;
  spacing: Vec3;
  /**
   * Direction cosines, column-major as vtkImageData expects: entries 0–2 are the LPS direction of
   * the i axis, 3–5 of j, 6–8 of k.
   */
  direction: Mat3;
}

function column(affine: number[], c: number): Vec3 {
  return [affine[c]!, affine[4 + c]!, affine[8 + c]!];
}

function norm(v: Vec3): number {
  return Math.hypot(v[0], v[1], v[2]);
}

/**
 * The affine's columns are spacing × direction; the spacing is recovered from the column lengths so
 * that the vtk image reproduces the affine exactly even if `volume.spacing` was rounded.
 */
export function imageGeometry(geometry: VolumeGeometry): ImageGeometry {
  const a = geometry.affineLps;
  if (a.length !== 16) throw new RangeError(`affineLps has ${a.length} entries, expected 16`);
  const spacing: Vec3 = [0, 0, 0];
  const direction: number[] = [];
  for (let c = 0; c < 3; c++) {
    const col = column(a, c);
    const length = norm(col);
    if (!(length > 0)) throw new RangeError(`affineLps column ${c} is degenerate`);
    spacing[c] = length;
    direction.push(col[0] / length, col[1] / length, col[2] / length);
  }
  return { origin: [a[3]!, a[7]!, a[11]!], spacing, direction: direction as Mat3 };
}

/** Index → world for a point (row-major affine). */
export function indexToWorld(affine: number[], ijk: Vec3): Vec3 {
  const out: Vec3 = [0, 0, 0];
  for (let r = 0; r < 3; r++) out[r] = affine[4 * r]! * ijk[0] + affine[4 * r + 1]! * ijk[1] + affine[4 * r + 2]! * ijk[2] + affine[4 * r + 3]!;
  return out;
}

/** Rows of the inverse of the affine's 3×3 part: row a is the world-space gradient of index a. */
function inverseLinearRows(affine: number[]): [Vec3, Vec3, Vec3] {
  const [m0, m1, m2] = [affine[0]!, affine[1]!, affine[2]!];
  const [m3, m4, m5] = [affine[4]!, affine[5]!, affine[6]!];
  const [m6, m7, m8] = [affine[8]!, affine[9]!, affine[10]!];
  const c0 = m4 * m8 - m5 * m7;
  const c1 = m5 * m6 - m3 * m8;
  const c2 = m3 * m7 - m4 * m6;
  const det = m0 * c0 + m1 * c1 + m2 * c2;
  if (Math.abs(det) < 1e-12) throw new RangeError('affineLps is singular');
  const inv = 1 / det;
  return [
    [c0 * inv, (m2 * m7 - m1 * m8) * inv, (m1 * m5 - m2 * m4) * inv],
    [c1 * inv, (m0 * m8 - m2 * m6) * inv, (m2 * m3 - m0 * m5) * inv],
    [c2 * inv, (m1 * m6 - m0 * m7) * inv, (m0 * m4 - m1 * m3) * inv],
  ];
}

export interface CropBox {
  /** inclusive voxel indices */
  min: Vec3;
  max: Vec3;
}

export interface WorldPlane {
  origin: Vec3;
  /** points into the kept side (vtk.js clips where (p − origin)·normal < 0) */
  normal: Vec3;
}

/**
 * Six planes keeping voxels min..max (inclusive) on every axis. The planes sit half a voxel outside
 * the kept voxel centres, so a box of 0..dims−1 keeps the whole volume (whose vtk bounds also
 * extend half a voxel past the outer centres). The plane normal is the gradient of the index
 * coordinate in world space, which stays right for oblique and sheared affines.
 */
export function cropPlanes(geometry: VolumeGeometry, box: CropBox): WorldPlane[] {
  const gradients = inverseLinearRows(geometry.affineLps);
  const centre: Vec3 = [0, 1, 2].map((a) => (box.min[a]! + box.max[a]!) / 2) as Vec3;
  const planes: WorldPlane[] = [];
  for (let axis = 0; axis < 3; axis++) {
    const lo = Math.max(-0.5, Math.min(box.min[axis]!, box.max[axis]!) - 0.5);
    const hi = Math.min(geometry.dims[axis]! - 0.5, Math.max(box.min[axis]!, box.max[axis]!) + 0.5);
    const g = gradients[axis]!;
    const len = norm(g);
    const n: Vec3 = [g[0] / len, g[1] / len, g[2] / len];
    const at = (value: number): Vec3 => {
      const p: Vec3 = [...centre];
      p[axis] = value;
      return indexToWorld(geometry.affineLps, p);
    };
    planes.push({ origin: at(lo), normal: n });
    planes.push({ origin: at(hi), normal: [-n[0], -n[1], -n[2]] });
  }
  return planes;
}
