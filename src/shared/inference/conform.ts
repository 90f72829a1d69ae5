/**
 * The model's input grid and resampling onto it (and back).
 *
 * A model tensor [C, D, H, W] (batch dropped) is row-major with W fastest, so one channel of it is laid
 * out exactly like a Volume whose i axis is W, j is H and k is D. A "tensor-ordered grid" is therefore an
 * ordinary VolumeGeometry with dims [W, H, D]; the ConformSpec lists its values in tensor order
 * (D, H, W), which is why they are reversed here.
 */
import { axisVector, invertAffine, multiply4, scale, spacingOf, transformPoint, type Mat4 } from '../geometry.js';
import type { Vec3, Volume, VolumeGeometry, VoxelArray } from '../volume.js';
import type { ConformSpec } from './manifest.js';

/** Patient-space (LPS) direction of each orientation letter: L, P, S are +x, +y, +z. */
const DIRECTION: Record<string, Vec3> = { L: [1, 0, 0], R: [-1, 0, 0], P: [0, 1, 0], A: [0, -1, 0], S: [0, 0, 1], I: [0, 0, -1] };

/** Entries of a vox2vox this close to 0 or ±1 count as exact (FastSurfer's is_resampling_vox2vox uses 1e-6). */
const PERMUTATION_EPS = 1e-6;
/** Translations this close to an integer count as integer: at most a 1e-4-voxel shift when snapped. */
const INTEGER_EPS = 1e-4;

const reverse = (v: readonly [number, number, number]): Vec3 => [v[2], v[1], v[0]];

/**
 * The tensor-ordered grid (dims [W, H, D]) the model input is sampled on.
 *
 * - 'native': axes parallel to the source's (i → W, j → H, k → D). spacingMm (D, H, W) or the source
 *   spacing; without a fixed shape, size = round(source extent / spacing) per axis (nnU-Net), so the grid
 *   covers the source's field of view. The spacing is exactly the requested one (nnU-Net's resize stretches
 *   it slightly to extent / size instead); the grid shares the source's centre.
 * - a code such as 'LIA' (letters for D, H, W): axes exactly along those patient directions, so an oblique
 *   source gets an axis-aligned grid. Null spacing takes the source spacing of the nearest source axis; a null
 *   shape covers the source's bounding box (ceil); a fixed shape is centred on the source (FreeSurfer conform).
 *
 * "Centre" is the centre of the source's voxel-centre box, index (n − 1) / 2 (FreeSurfer uses n / 2, up to a
 * voxel away; the prediction is mapped back through the same grid, so only consistency matters). When the
 * grid is a pure axis permutation/flip of the source at the same spacing, its origin is snapped by less than
 * half a voxel so that the offset is integral and resampling becomes an exact copy (as FastSurfer does).
 */
export function modelGrid(source: VolumeGeometry, spec: ConformSpec): VolumeGeometry {
  const a = source.affineLps;
  const srcSpacing = spacingOf(a);
  const srcColumns = [axisVector(a, 0), axisVector(a, 1), axisVector(a, 2)] as const;
  const centre = transformPoint(a, source.dims.map((n) => (n - 1) / 2) as Vec3);

  let columns: Vec3[]; // patient-space step of one grid voxel along i (W), j (H), k (D)
  let spacing: Vec3;
  let dims: Vec3;
  if (spec.orientation === 'native') {
    spacing = spec.spacingMm ? reverse(spec.spacingMm) : srcSpacing;
    // the source's own column scaled, so the same spacing reproduces the source axes bit for bit
    columns = srcColumns.map((c, n) => (spacing[n] === srcSpacing[n] ? c : scale(c, spacing[n]! / srcSpacing[n]!)));
    dims = spec.shape
      ? reverse(spec.shape)
      : ([0, 1, 2].map((n) => Math.max(1, Math.round((source.dims[n]! * srcSpacing[n]!) / spacing[n]!))) as Vec3);
  } else {
    const code = spec.orientation.toUpperCase();
    const units = [DIRECTION[code[2]!]!, DIRECTION[code[1]!]!, DIRECTION[code[0]!]!];
    const srcUnits = srcColumns.map((c, n) => scale(c, 1 / srcSpacing[n]!));
    spacing = spec.spacingMm ? reverse(spec.spacingMm) : nearestAxisSpacing(units, srcUnits, srcSpacing);
    columns = units.map((u, n) => scale(u, spacing[n]!));
    dims = spec.shape
      ? reverse(spec.shape)
      : (units.map((u, n) => {
          // extent of the source's voxel box (edges, not centres) along u
          let extent = 0;
          for (let s = 0; s < 3; s++) extent += source.dims[s]! * Math.abs(dot3(u, srcColumns[s]!));
          return Math.max(1, Math.ceil(extent / spacing[n]! - 1e-3));
        }) as Vec3);
  }

  // row-major 4×4 whose columns are the grid axes
  const g: Mat4 = [
    columns[0]![0], columns[1]![0], columns[2]![0], 0,
    columns[0]![1], columns[1]![1], columns[2]![1], 0,
    columns[0]![2], columns[1]![2], columns[2]![2], 0,
    0, 0, 0, 1,
  ];
  // origin: grid index (m − 1) / 2 lands on the source centre
  for (let r = 0; r < 3; r++) {
    let offset = 0;
    for (let c = 0; c < 3; c++) offset += g[r * 4 + c]! * ((dims[c]! - 1) / 2);
    g[r * 4 + 3] = centre[r]! - offset;
  }
  snapToPermutation(g, a);
  return { dims, spacing, affineLps: g };
}

const dot3 = (u: Vec3, v: Vec3): number => u[0] * v[0] + u[1] * v[1] + u[2] * v[2];

/** Spacing of the source axis nearest each grid axis, choosing the one-to-one assignment that aligns best. */
function nearestAxisSpacing(units: Vec3[], srcUnits: Vec3[], srcSpacing: Vec3): Vec3 {
  const perms = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
  let best = perms[0]!;
  let bestScore = -Infinity;
  for (const p of perms) {
    const score = p.reduce((sum, s, n) => sum + Math.abs(dot3(units[n]!, srcUnits[s]!)), 0);
    if (score > bestScore + 1e-12) [best, bestScore] = [p, score];
  }
  return best.map((s) => srcSpacing[s]!) as Vec3;
}

/**
 * When grid → source voxels is a signed permutation with a nearly integral offset, shift the grid origin
 * (in place) so that the offset is exactly integral.
 */
function snapToPermutation(grid: Mat4, sourceAffine: Mat4): void {
  const m = multiply4(invertAffine(sourceAffine), grid);
  if (!permutationOf(m)) return;
  const delta = [0, 1, 2].map((r) => Math.round(m[r * 4 + 3]!) - m[r * 4 + 3]!);
  if (delta.every((d) => d === 0)) return;
  for (let r = 0; r < 3; r++) {
    let shift = 0;
    for (let s = 0; s < 3; s++) shift += sourceAffine[r * 4 + s]! * delta[s]!;
    grid[r * 4 + 3] = grid[r * 4 + 3]! + shift;
  }
}

/**
 * For a vox2vox m (target index → source index): for each source axis r, the target axis it follows and the
 * sign (source_r = sign · target_axis + offset_r), when the 3×3 part is a signed permutation; else null.
 */
function permutationOf(m: Mat4): { axis: number[]; sign: number[] } | null {
  const axis: number[] = [];
  const sign: number[] = [];
  for (let r = 0; r < 3; r++) {
    let found = -1;
    for (let c = 0; c < 3; c++) {
      const v = m[r * 4 + c]!;
      if (Math.abs(v) <= PERMUTATION_EPS) continue;
      if (found >= 0 || Math.abs(Math.abs(v) - 1) > PERMUTATION_EPS) return null;
      found = c;
    }
    if (found < 0 || axis.includes(found)) return null;
    axis.push(found);
    sign.push(m[r * 4 + found]! > 0 ? 1 : -1);
  }
  return { axis, sign };
}

/**
 * Target index → source index affine as 12 numbers (3 rows of 4). When it is a signed permutation with
 * integral offsets, it is returned rounded to exact integers and `exact` is true: sampling then touches
 * voxel centres only, and both resamplers copy voxels instead of interpolating.
 */
function voxelMapping(source: VolumeGeometry, target: VolumeGeometry): { m: Float64Array; exact: boolean } {
  const full = multiply4(invertAffine(source.affineLps), target.affineLps);
  const m = Float64Array.from(full.slice(0, 12));
  const perm = permutationOf(full);
  const exact = perm !== null && [0, 1, 2].every((r) => Math.abs(full[r * 4 + 3]! - Math.round(full[r * 4 + 3]!)) <= INTEGER_EPS);
  if (exact) {
    m.fill(0);
    for (let r = 0; r < 3; r++) {
      m[r * 4 + perm.axis[r]!] = perm.sign[r]!;
      m[r * 4 + 3] = Math.round(full[r * 4 + 3]!);
    }
  }
  return { m, exact };
}

/**
 * For every target row (j, k), the run [lo, hi) of i whose source position lies inside the source's voxel
 * box, −0.5 ≤ x < n − 0.5 on every axis (a voxel owns the half voxel around its centre): entries 2r, 2r + 1
 * for row r = k·H + j. Sampling never needs a bounds check inside the run.
 */
function rowRanges(m: Float64Array, n: Vec3, dims: Vec3): Int32Array {
  const [tx, ty, tz] = dims;
  const ranges = new Int32Array(2 * ty * tz);
  const d = [m[0]!, m[4]!, m[8]!];
  const b = [0, 0, 0];
  const inside = (i: number): boolean => {
    for (let a = 0; a < 3; a++) {
      const x = b[a]! + i * d[a]!;
      if (!(x >= -0.5 && x < n[a]! - 0.5)) return false;
    }
    return true;
  };
  for (let k = 0, row = 0; k < tz; k++)
    for (let j = 0; j < ty; j++, row++) {
      for (let r = 0; r < 3; r++) b[r] = m[r * 4 + 1]! * j + m[r * 4 + 2]! * k + m[r * 4 + 3]!;
      let lo = 0;
      let hi = tx;
      for (let a = 0; a < 3 && lo < hi; a++) {
        if (d[a] === 0) {
          if (!(b[a]! >= -0.5 && b[a]! < n[a]! - 0.5)) lo = hi = 0;
          continue;
        }
        let t1 = (-0.5 - b[a]!) / d[a]!;
        let t2 = (n[a]! - 0.5 - b[a]!) / d[a]!;
        if (t1 > t2) [t1, t2] = [t2, t1];
        // generous by a voxel each side, then trimmed by evaluating exactly as the samplers do
        lo = Math.max(lo, Math.ceil(t1) - 1);
        hi = Math.min(hi, Math.floor(t2) + 2);
      }
      while (lo < hi && !inside(lo)) lo++;
      while (hi > lo && !inside(hi - 1)) hi--;
      ranges[2 * row] = lo;
      ranges[2 * row + 1] = Math.max(lo, hi);
    }
  return ranges;
}

/**
 * Target voxels are visited in BLOCK³ cubes: a reorientation makes consecutive target voxels far apart in
 * the source (a transpose), and cubes keep the source lines they touch in cache (several times faster).
 */
const BLOCK = 32;

/**
 * Trilinear resampling of a scalar volume onto `target`, in the source's voxel space. Target voxels whose
 * centre falls outside the source's voxel box get `outside`; within the outer half voxel the edge value is
 * extended. A pure permutation/flip with integral offset (reorientation) is an exact copy.
 */
export function resampleLinear(src: Volume, target: VolumeGeometry, outside = 0): Float32Array {
  if (src.components !== 1) throw new RangeError('resampleLinear needs a scalar volume');
  if (src.data.length !== count(src.dims)) throw new RangeError(`the volume holds ${src.data.length} voxels, its dims ${count(src.dims)}`);
  const out = new Float32Array(count(target.dims));
  if (outside !== 0) out.fill(outside);
  const { m, exact } = voxelMapping(src, target);
  if (exact) return copyPermuted(src.data, src.dims, target.dims, m, out) as Float32Array;

  const [tx, ty, tz] = target.dims;
  const [nx, ny, nz] = src.dims;
  const data = src.data;
  const sy = nx;
  const sz = nx * ny;
  // neighbour offsets (0 on a one-voxel axis) and the last usable lower corner per axis
  const ox = nx > 1 ? 1 : 0;
  const oy = ny > 1 ? sy : 0;
  const oz = nz > 1 ? sz : 0;
  const [fmx, fmy, fmz] = [Math.max(nx - 2, 0), Math.max(ny - 2, 0), Math.max(nz - 2, 0)];
  const [mx, my, mz] = [nx - 1, ny - 1, nz - 1];
  const [dx, dy, dz] = [m[0]!, m[4]!, m[8]!];
  const ranges = rowRanges(m, src.dims, target.dims);
  for (let kb = 0; kb < tz; kb += BLOCK)
    for (let jb = 0; jb < ty; jb += BLOCK)
      for (let ib = 0; ib < tx; ib += BLOCK)
        for (let k = kb, ke = Math.min(kb + BLOCK, tz); k < ke; k++)
          for (let j = jb, je = Math.min(jb + BLOCK, ty); j < je; j++) {
            const row = k * ty + j;
            const lo = Math.max(ranges[2 * row]!, ib);
            const hi = Math.min(ranges[2 * row + 1]!, ib + BLOCK);
            if (lo >= hi) continue;
            const bx = m[1]! * j + m[2]! * k + m[3]!;
            const by = m[5]! * j + m[6]! * k + m[7]!;
            const bz = m[9]! * j + m[10]! * k + m[11]!;
            const at = row * tx;
            for (let i = lo; i < hi; i++) {
              let x = bx + i * dx;
              let y = by + i * dy;
              let z = bz + i * dz;
              x = x < 0 ? 0 : x > mx ? mx : x;
              y = y < 0 ? 0 : y > my ? my : y;
              z = z < 0 ? 0 : z > mz ? mz : z;
              let fx = Math.floor(x);
              let fy = Math.floor(y);
              let fz = Math.floor(z);
              if (fx > fmx) fx = fmx;
              if (fy > fmy) fy = fmy;
              if (fz > fmz) fz = fmz;
              const wx = x - fx;
              const wy = y - fy;
              const wz = z - fz;
              const o = fx + fy * sy + fz * sz;
              const c00 = data[o]! + (data[o + ox]! - data[o]!) * wx;
              const c10 = data[o + oy]! + (data[o + oy + ox]! - data[o + oy]!) * wx;
              const c01 = data[o + oz]! + (data[o + oz + ox]! - data[o + oz]!) * wx;
              const c11 = data[o + oz + oy]! + (data[o + oz + oy + ox]! - data[o + oz + oy]!) * wx;
              const c0 = c00 + (c10 - c00) * wy;
              const c1 = c01 + (c11 - c01) * wy;
              out[at + i] = c0 + (c1 - c0) * wz;
            }
          }
  return out;
}

/**
 * Nearest-neighbour resampling of a label map (e.g. predicted labels back onto the series grid); returns the
 * same array type. Target voxels outside the source's voxel box get `outside`. Halfway points round up.
 */
export function resampleNearest<T extends Uint8Array | Uint16Array>(labels: T, srcGeom: VolumeGeometry, target: VolumeGeometry, outside = 0): T {
  if (labels.length !== count(srcGeom.dims)) throw new RangeError(`labels hold ${labels.length} voxels, the geometry ${count(srcGeom.dims)}`);
  const out = new (labels.constructor as new (n: number) => T)(count(target.dims));
  if (outside !== 0) out.fill(outside);
  const { m, exact } = voxelMapping(srcGeom, target);
  if (exact) return copyPermuted(labels, srcGeom.dims, target.dims, m, out) as T;

  const [tx, ty, tz] = target.dims;
  const [nx, ny, nz] = srcGeom.dims;
  const [mx, my, mz] = [nx - 1, ny - 1, nz - 1];
  const [dx, dy, dz] = [m[0]!, m[4]!, m[8]!];
  const ranges = rowRanges(m, srcGeom.dims, target.dims);
  for (let kb = 0; kb < tz; kb += BLOCK)
    for (let jb = 0; jb < ty; jb += BLOCK)
      for (let ib = 0; ib < tx; ib += BLOCK)
        for (let k = kb, ke = Math.min(kb + BLOCK, tz); k < ke; k++)
          for (let j = jb, je = Math.min(jb + BLOCK, ty); j < je; j++) {
            const row = k * ty + j;
            const lo = Math.max(ranges[2 * row]!, ib);
            const hi = Math.min(ranges[2 * row + 1]!, ib + BLOCK);
            if (lo >= hi) continue;
            // + 0.5 folded in: floor(x + 0.5) rounds to the nearest centre
            const bx = m[1]! * j + m[2]! * k + m[3]! + 0.5;
            const by = m[5]! * j + m[6]! * k + m[7]! + 0.5;
            const bz = m[9]! * j + m[10]! * k + m[11]! + 0.5;
            const at = row * tx;
            for (let i = lo; i < hi; i++) {
              let x = Math.floor(bx + i * dx);
              let y = Math.floor(by + i * dy);
              let z = Math.floor(bz + i * dz);
              // rounding of x ≈ n − 0.5 can reach n
              if (x > mx) x = mx;
              if (y > my) y = my;
              if (z > mz) z = mz;
              out[at + i] = labels[x + nx * (y + ny * z)]!;
            }
          }
  return out;
}

const count = (dims: Vec3): number => dims[0] * dims[1] * dims[2];

/**
 * The exact path: every target voxel copies one source voxel (m is an integral signed permutation). The
 * voxels inside the source form a box in target space; out is already filled with the outside value.
 */
function copyPermuted(data: VoxelArray, srcDims: Vec3, dims: Vec3, m: Float64Array, out: VoxelArray): VoxelArray {
  const srcStrides = [1, srcDims[0], srcDims[0] * srcDims[1]];
  const stride = [0, 0, 0]; // source index step per target axis
  const lo = [0, 0, 0];
  const hi = [0, 0, 0];
  let base = 0;
  for (let r = 0; r < 3; r++) {
    base += srcStrides[r]! * m[r * 4 + 3]!;
    for (let t = 0; t < 3; t++) {
      const sign = m[r * 4 + t]!;
      if (sign === 0) continue;
      stride[t] = sign * srcStrides[r]!;
      // 0 ≤ sign · t + offset ≤ n − 1
      const a = (0 - m[r * 4 + 3]!) * sign;
      const b = (srcDims[r]! - 1 - m[r * 4 + 3]!) * sign;
      lo[t] = Math.max(0, Math.min(a, b));
      hi[t] = Math.min(dims[t]!, Math.max(a, b) + 1);
    }
  }
  if (lo.some((v, t) => v >= hi[t]!)) return out;
  const [tx, ty] = dims;
  const [s0, s1, s2] = stride as [number, number, number];
  if (s0 === 1) {
    // rows are contiguous in the source too
    for (let k = lo[2]!; k < hi[2]!; k++)
      for (let j = lo[1]!; j < hi[1]!; j++) {
        const from = base + j * s1 + k * s2 + lo[0]!;
        out.set(data.subarray(from, from + hi[0]! - lo[0]!) as never, (k * ty + j) * tx + lo[0]!);
      }
    return out;
  }
  for (let kb = lo[2]!; kb < hi[2]!; kb += BLOCK)
    for (let jb = lo[1]!; jb < hi[1]!; jb += BLOCK)
      for (let ib = lo[0]!; ib < hi[0]!; ib += BLOCK)
        for (let k = kb, ke = Math.min(kb + BLOCK, hi[2]!); k < ke; k++)
          for (let j = jb, je = Math.min(jb + BLOCK, hi[1]!); j < je; j++) {
            const at = (k * ty + j) * tx;
            const from = base + j * s1 + k * s2;
            for (let i = ib, ie = Math.min(ib + BLOCK, hi[0]!); i < ie; i++) out[at + i] = data[from + i * s0]!;
          }
  return out;
}
