/**
 * Synthetic volumes for the 3D view's test harness and benchmark: a CT-like phantom (air, a soft
 * tissue ball, a bone shell, two "lungs"), an MR-like phantom and a two-label map on the CT grid.
 */
import type { Vec3, Volume } from '../../../shared/volume.js';

export const CT_SIZE = 64;
/** label value → RGB (0–255); red and blue so the harness can find them in the image */
export const LABEL_COLORS: Record<number, [number, number, number]> = { 1: [230, 30, 30], 2: [40, 80, 235] };

/** Deterministic noise in [−1, 1) (an LCG), so renders are reproducible. */
function noise(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  };
}

function affine(spacing: Vec3, dims: Vec3, rotationZDeg = 0): number[] {
  // centre the volume on the LPS origin; optionally rotate the grid about z (an oblique acquisition)
  const t = (rotationZDeg * Math.PI) / 180;
  const [c, s] = [Math.cos(t), Math.sin(t)];
  const cols: Vec3[] = [
    [c * spacing[0], s * spacing[0], 0],
    [-s * spacing[1], c * spacing[1], 0],
    [0, 0, spacing[2]],
  ];
  const half = dims.map((d) => (d - 1) / 2);
  const origin = [0, 1, 2].map((r) => -(cols[0]![r]! * half[0]! + cols[1]![r]! * half[1]! + cols[2]![r]! * half[2]!));
  return [0, 1, 2].flatMap((r) => [cols[0]![r]!, cols[1]![r]!, cols[2]![r]!, origin[r]!]).concat([0, 0, 0, 1]);
}

/** Share of a voxel inside a ball of radius `radius` at distance `r` (a 1 mm partial-volume edge). */
function inside(r: number, radius: number): number {
  return Math.min(1, Math.max(0, radius + 0.5 - r));
}

/**
 * HU at patient point (x, y, z) mm: air, a soft-tissue ball (r 28), a bone shell (r 18–22), two
 * "lungs" (−800) left and right, and a bone marker ball outside the body at patient left-superior
 * (x 26, z 26) that makes the phantom asymmetric, so a wrong orientation shows in the image.
 */
function ctAt(x: number, y: number, z: number): number {
  const r = Math.hypot(x, y, z);
  let hu = -1000;
  const paint = (value: number, amount: number) => (hu += (value - hu) * amount);
  paint(40, inside(r, 28));
  paint(1000, inside(r, 22) * (1 - inside(r, 18)));
  paint(-800, Math.max(inside(Math.hypot(x - 9, y, z), 7), inside(Math.hypot(x + 9, y, z), 7)));
  paint(1000, inside(Math.hypot(x - 26, y, z - 26), 5));
  return hu;
}

/**
 * 64³ int16 CT phantom. The grid may be rotated about z (an oblique acquisition); the phantom is
 * sampled in patient space, so every rotation shows the same anatomy when rendered correctly.
 */
export function ctPhantom(rotationZDeg = 0): Volume {
  const n = CT_SIZE;
  const dims: Vec3 = [n, n, n];
  const a = affine([1, 1, 1], dims, rotationZDeg);
  const data = new Int16Array(n * n * n);
  const rand = noise(1);
  let idx = 0;
  for (let k = 0; k < n; k++)
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++, idx++) {
        const x = a[0]! * i + a[1]! * j + a[2]! * k + a[3]!;
        const y = a[4]! * i + a[5]! * j + a[6]! * k + a[7]!;
        const z = a[8]! * i + a[9]! * j + a[10]! * k + a[11]!;
        data[idx] = Math.round(ctAt(x, y, z) + rand() * 15);
      }
  return { dims, spacing: [1, 1, 1], affineLps: a, voxelType: 'int16', components: 1, data };
}

/** 64×64×40 uint16 with 1.5 mm slices: a bright rim, grey "brain", two dark "ventricles". */
export function mrPhantom(): Volume {
  const dims: Vec3 = [64, 64, 40];
  const spacing: Vec3 = [1, 1, 1.5];
  const data = new Uint16Array(dims[0] * dims[1] * dims[2]);
  const rand = noise(2);
  const centre = dims.map((d, a) => ((d - 1) / 2) * spacing[a]!);
  let idx = 0;
  for (let k = 0; k < dims[2]; k++)
    for (let j = 0; j < dims[1]; j++)
      for (let i = 0; i < dims[0]; i++, idx++) {
        const [x, y, z] = [i * spacing[0] - centre[0]!, j * spacing[1] - centre[1]!, k * spacing[2] - centre[2]!];
        const r = Math.hypot(x, y, z);
        let v = 20;
        const paint = (value: number, amount: number) => (v += (value - v) * amount);
        paint(900, inside(r, 28));
        paint(500, inside(r, 25));
        paint(150, inside(Math.hypot(Math.abs(x) - 6, y, z / 1.5), 5));
        data[idx] = Math.max(0, Math.round(v + rand() * 25));
      }
  return { dims, spacing, affineLps: affine(spacing, dims), voxelType: 'uint16', components: 1, data };
}

/** Two label balls in front (anterior, low j) of the CT phantom's bone shell, left and right. */
export function labelPhantom(): Uint8Array {
  const n = CT_SIZE;
  const data = new Uint8Array(n * n * n);
  let idx = 0;
  for (let k = 0; k < n; k++)
    for (let j = 0; j < n; j++)
      for (let i = 0; i < n; i++, idx++) {
        if (Math.hypot(i - 20, j - 10, k - 32) <= 7) data[idx] = 1;
        else if (Math.hypot(i - 44, j - 10, k - 32) <= 7) data[idx] = 2;
      }
  return data;
}
