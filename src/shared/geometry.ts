/**
 * Geometry helpers: 4×4 affines (row-major number[16]), index ↔ patient (LPS, mm) mapping, LPS ↔ RAS.
 * Conventions: index (i, j, k) = (column, row, slice); DICOM/LPS patient space unless named RAS.
 */
import type { Vec3, VolumeGeometry } from './volume.js';

export type Mat4 = number[];

export const identity4 = (): Mat4 => [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];

export function multiply4(a: Mat4, b: Mat4): Mat4 {
  const out = new Array<number>(16).fill(0);
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < 4; c++) {
      let sum = 0;
      for (let k = 0; k < 4; k++) sum += a[r * 4 + k]! * b[k * 4 + c]!;
      out[r * 4 + c] = sum;
    }
  return out;
}

export function transformPoint(m: Mat4, p: Vec3): Vec3 {
  return [0, 1, 2].map((r) => m[r * 4]! * p[0] + m[r * 4 + 1]! * p[1] + m[r * 4 + 2]! * p[2] + m[r * 4 + 3]!) as Vec3;
}

/** Inverse of an affine 4×4 (last row 0 0 0 1). Throws on a singular matrix. */
export function invertAffine(m: Mat4): Mat4 {
  const [a, b, c, d, e, f, g, h, i] = [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!];
  const det = a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
  if (Math.abs(det) < 1e-12) throw new RangeError('affine is singular');
  const inv = [
    (e * i - f * h) / det, (c * h - b * i) / det, (b * f - c * e) / det,
    (f * g - d * i) / det, (a * i - c * g) / det, (c * d - a * f) / det,
    (d * h - e * g) / det, (b * g - a * h) / det, (a * e - b * d) / det,
  ];
  const t = [m[3]!, m[7]!, m[11]!];
  const out = identity4();
  for (let r = 0; r < 3; r++) {
    for (let col = 0; col < 3; col++) out[r * 4 + col] = inv[r * 3 + col]!;
    out[r * 4 + 3] = -(inv[r * 3]! * t[0]! + inv[r * 3 + 1]! * t[1]! + inv[r * 3 + 2]! * t[2]!);
  }
  return out;
}

/** Voxel index (fractional allowed) → patient LPS mm. */
export function voxelToWorld(g: VolumeGeometry, ijk: Vec3): Vec3 {
  return transformPoint(g.affineLps, ijk);
}

/** Patient LPS mm → fractional voxel index. */
export function worldToVoxel(g: VolumeGeometry, lps: Vec3): Vec3 {
  return transformPoint(invertAffine(g.affineLps), lps);
}

/** LPS ↔ RAS flips the first two axes; the same matrix converts both ways. */
const FLIP_XY: Mat4 = [-1, 0, 0, 0, 0, -1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
export const lpsToRasAffine = (affineLps: Mat4): Mat4 => multiply4(FLIP_XY, affineLps);
export const rasToLpsAffine = (affineRas: Mat4): Mat4 => multiply4(FLIP_XY, affineRas);

/** Column c of the 3×3 part (the patient-space step of one voxel along index axis c). */
export function axisVector(m: Mat4, c: 0 | 1 | 2): Vec3 {
  return [m[c]!, m[4 + c]!, m[8 + c]!];
}

export const norm = (v: Vec3): number => Math.hypot(v[0], v[1], v[2]);
export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];

/** Voxel spacing implied by an affine: the length of each index axis. */
export function spacingOf(m: Mat4): Vec3 {
  return [norm(axisVector(m, 0)), norm(axisVector(m, 1)), norm(axisVector(m, 2))];
}

/** Largest absolute difference between two affines' entries (for "equal within 1e-3 mm" checks). */
export function affineMaxDifference(a: Mat4, b: Mat4): number {
  return Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));
}

/* 3×3 rotation helpers for NIfTI's quaternion (qform) representation; Mat3 is row-major number[9]. */
export type Mat3 = number[];

/** The 3×3 part of a 4×4 affine, row-major. */
export const linearPart = (m: Mat4): Mat3 => [m[0]!, m[1]!, m[2]!, m[4]!, m[5]!, m[6]!, m[8]!, m[9]!, m[10]!];

export function det3(m: Mat3): number {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g);
}

/** Inverse-transpose of a 3×3 (cofactors / det). */
function inverseTranspose3(m: Mat3): Mat3 {
  const [a, b, c, d, e, f, g, h, i] = m as [number, number, number, number, number, number, number, number, number];
  const det = det3(m);
  return [e * i - f * h, f * g - d * i, d * h - e * g, c * h - b * i, a * i - c * g, b * g - a * h, b * f - c * e, c * d - a * f, a * e - b * d].map(
    (v) => v / det,
  );
}

/**
 * The orthogonal matrix nearest to m (the polar factor), by Newton's iteration X ← (X + X⁻ᵀ)/2, which
 * converges quadratically for any non-singular m. Keeps det's sign. Throws on a singular matrix.
 */
export function nearestOrthogonal3(m: Mat3): Mat3 {
  if (Math.abs(det3(m)) < 1e-12) throw new RangeError('matrix is singular');
  let x = m.slice();
  for (let iteration = 0; iteration < 100; iteration++) {
    const it = inverseTranspose3(x);
    const next = x.map((v, k) => (v + it[k]!) / 2);
    const change = Math.max(...next.map((v, k) => Math.abs(v - x[k]!)));
    x = next;
    if (change < 1e-15) break;
  }
  return x;
}

/**
 * Rotation matrix of the unit quaternion (a, b, c, d) with a = √(1 − b² − c² − d²) ≥ 0, as NIfTI stores it.
 * Like nibabel (fillpositive + quat2mat): a slightly negative 1 − b² − c² − d² (float32 rounding) means a = 0,
 * and the quaternion is normalised before use.
 */
export function quaternionToRotation(b: number, c: number, d: number): Mat3 {
  const a = Math.sqrt(Math.max(0, 1 - (b * b + c * c + d * d)));
  const n = Math.hypot(a, b, c, d);
  if (n < 1e-12) return [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const [w, x, y, z] = [a / n, b / n, c / n, d / n];
  return [
    w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y),
    2 * (x * y + w * z), w * w + y * y - x * x - z * z, 2 * (y * z - w * x),
    2 * (x * z - w * y), 2 * (y * z + w * x), w * w + z * z - x * x - y * y,
  ];
}

/**
 * Unit quaternion [a, b, c, d] (a ≥ 0) of a proper rotation matrix, choosing the numerically safest
 * formula for the matrix (the trace branch, or the largest diagonal element near 180° turns).
 */
export function rotationToQuaternion(r: Mat3): [number, number, number, number] {
  const [r11, r12, r13, r21, r22, r23, r31, r32, r33] = r as [number, number, number, number, number, number, number, number, number];
  const trace = r11 + r22 + r33;
  let q: [number, number, number, number];
  if (trace > 0) {
    const s = 2 * Math.sqrt(1 + trace);
    q = [s / 4, (r32 - r23) / s, (r13 - r31) / s, (r21 - r12) / s];
  } else if (r11 >= r22 && r11 >= r33) {
    const s = 2 * Math.sqrt(Math.max(1e-300, 1 + r11 - r22 - r33));
    q = [(r32 - r23) / s, s / 4, (r12 + r21) / s, (r13 + r31) / s];
  } else if (r22 >= r33) {
    const s = 2 * Math.sqrt(Math.max(1e-300, 1 + r22 - r11 - r33));
    q = [(r13 - r31) / s, (r12 + r21) / s, s / 4, (r23 + r32) / s];
  } else {
    const s = 2 * Math.sqrt(Math.max(1e-300, 1 + r33 - r11 - r22));
    q = [(r21 - r12) / s, (r13 + r31) / s, (r23 + r32) / s, s / 4];
  }
  const n = Math.hypot(...q) * (q[0] < 0 ? -1 : 1);
  return q.map((v) => v / n) as [number, number, number, number];
}
