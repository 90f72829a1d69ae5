/**
 * The bundled sample study when no licensed real scan is available: a synthetic T1-weighted head,
 * generated deterministically (no real person's data). Tissues are nested soft-edged shapes in patient
 * space (mm, LPS, origin near the centre of the brain): scalp and neck muscle, skull with marrow, CSF,
 * a folded cortical grey-matter ribbon with sulci over white matter, lateral and third ventricles, deep
 * grey nuclei (thalamus, putamen, caudate), cerebellum and brainstem. Intensities follow T1 contrast
 * (fat > white matter > grey matter > muscle > CSF > bone), then a smooth multiplicative bias field
 * and Gaussian noise inside the head; the background is 0.
 */
import type { Vec3 } from '../../shared/volume.js';
import { mulberry32 } from '../../shared/random.js';

export const SYNTHETIC_HEAD_VERSION = 1;

export interface SyntheticHeadOptions {
  /** columns (L-R), rows (A-P), slices (I-S) */
  dims?: Vec3;
  /** column spacing, row spacing, slice spacing in mm */
  spacing?: Vec3;
  seed?: number;
  /** also return the tissue map */
  truth?: boolean;
}

export interface SyntheticHead {
  dims: Vec3;
  spacing: Vec3;
  /** voxel (i, j, k) → LPS mm: axial slices, i → L, j → P, k → S */
  affineLps: number[];
  /** unsigned 16-bit values, i fastest, then j, then k */
  data: Uint16Array;
  seed: number;
  /** the tissue each voxel's centre lies in (0 other, 1 white matter, 2 grey matter incl. deep nuclei); with `truth` */
  tissue: Uint8Array | null;
}

export const SYNTHETIC_HEAD_DEFAULTS = { dims: [168, 200, 144] as Vec3, spacing: [1, 1, 1.2] as Vec3, seed: 20240611 };

/** A soft step of about 1 mm: 0 well below t = 0, 1 well above. */
const step = (t: number): number => (t > 6 ? 1 : t < -6 ? 0 : 1 / (1 + Math.exp(-t / 0.45)));

/** ≈ mm inside an axis-aligned ellipsoid (positive inside, negative outside), scaled by its smallest semi-axis. */
function ellipsoidDepth(x: number, y: number, z: number, cx: number, cy: number, cz: number, a: number, b: number, c: number): number {
  return (1 - Math.hypot((x - cx) / a, (y - cy) / b, (z - cz) / c)) * Math.min(a, b, c);
}

// T1-weighted intensities (arbitrary units, white matter ≈ 1000 at 3 T MPRAGE-like contrast)
const FAT = 1150;
const MUSCLE = 520;
const BONE = 90;
const MARROW = 600;
const CSF = 160;
const GREY = 640;
const WHITE = 1000;
const DEEP_GREY = 760;

/** The tissue class of the last point intensity() computed (0 other, 1 white matter, 2 grey matter). */
let lastTissue = 0;

/** The T1 intensity at a point (mm, LPS about the brain centre), before bias and noise; 0 outside the head. */
function intensity(x: number, y: number, z: number): number {
  lastTissue = 0;
  // the head: an ellipsoid with a neck below it
  let head = ellipsoidDepth(x, y, z, 0, 4, 4, 76, 98, 86);
  if (z < -40) head = Math.max(head, Math.min(52 - Math.hypot(x / 1.05, (y - 14) / 1.15), z + 140)); // neck cylinder
  if (head < -2) return 0;
  const inHead = step(head);

  // scalp (fat) over muscle-like galea in the neck, then skull (cortical bone with a marrow layer)
  const brainDepth = brainSurfaceDepth(x, y, z);
  const skullInner = brainDepth + 3.5; // CSF layer ≈ 3.5 mm between brain and skull
  const skullOuter = skullInner + 7;
  const scalp = z < -40 ? MUSCLE + (FAT - MUSCLE) * step(3 - head) : FAT;
  let v = scalp;
  // inside the outer skull surface: bone, with marrow in the middle of the diploe
  const bone = step(skullOuter);
  const diploe = step(skullOuter - 2.2) * (1 - step(skullInner + 2.2));
  v += (BONE + (MARROW - BONE) * diploe * 0.7 - v) * bone;
  // CSF under the skull
  v += (CSF - v) * step(skullInner);
  // the brain
  const inBrain = step(brainDepth);
  if (inBrain > 0) {
    const brain = brainIntensity(x, y, z, brainDepth);
    v += (brain - v) * inBrain;
    // the class a rater would give it: mostly brain, and nearer which tissue's intensity
    if (inBrain >= 0.5) lastTissue = brain >= (WHITE + DEEP_GREY) / 2 ? 1 : brain >= (GREY + CSF) / 2 ? 2 : 0;
  }
  return v * inHead;
}

/** Depth below the brain's outer surface: cerebrum, cerebellum and brainstem joined smoothly. */
function brainSurfaceDepth(x: number, y: number, z: number): number {
  // cerebrum: a slightly flattened ellipsoid, with the interhemispheric fissure
  let cerebrum = ellipsoidDepth(x, y, z, 0, 2, 10, 66, 84, 62);
  cerebrum -= Math.max(0, 4 - Math.abs(x) * 2.2) * step(z - 0); // fissure from the vertex down to the corpus callosum
  const cerebellum = ellipsoidDepth(x, y, z, 0, 52, -36, 50, 28, 22);
  const stem = Math.min(11 - Math.hypot(x, (y - 22) / 1.1), z + 120, 10 - z);
  return Math.max(cerebrum, cerebellum, stem);
}

/** Grey/white matter, sulci, ventricles and deep nuclei inside the brain. */
function brainIntensity(x: number, y: number, z: number, depth: number): number {
  const cerebellar = y > 28 && z < -16;
  // sulci: the sheets where a warped gyroid G vanishes (period ≈ 17 mm, 7 mm in the cerebellum's folia);
  // |G| / |∇G| approximates the distance to the nearest sheet in mm
  const k = cerebellar ? 0.9 : 0.37;
  const wx = x + 3 * Math.sin(z * 0.05 + 1);
  const wy = y + 3 * Math.sin(x * 0.06 + 2);
  const wz = z + 3 * Math.sin(y * 0.05);
  const G = Math.sin(k * wx) * Math.cos(k * wy) + Math.sin(k * wy) * Math.cos(k * wz) + Math.sin(k * wz) * Math.cos(k * wx);
  const sheet = Math.abs(G) / (k * 1.15);
  // sulcal depth varies slowly between 5 and 15 mm
  const sulcalDepth = 10 + 5 * Math.sin(x * 0.05 + 0.3) * Math.cos(y * 0.04 + 1.2) * (cerebellar ? 0.3 : 1);
  const cortex = cerebellar ? 2 : 2.8; // cortical thickness in mm
  const alongSulcus = 1 - step(depth - sulcalDepth); // 1 above the fundus line
  const csf = (1 - step(sheet - 0.7)) * alongSulcus;
  const grey = Math.max(1 - step(depth - cortex), (1 - step(sheet - 0.7 - cortex)) * (1 - step(depth - sulcalDepth - cortex)));
  let v = WHITE;
  v += (GREY - v) * grey;
  v += (CSF - v) * csf * (cerebellar ? 0.5 : 1);
  // deep grey nuclei
  const thalamus = Math.max(ellipsoidDepth(x, y, z, 9, 12, 4, 9, 14, 9), ellipsoidDepth(x, y, z, -9, 12, 4, 9, 14, 9));
  const putamen = Math.max(ellipsoidDepth(x, y, z, 25, -4, 2, 6, 16, 10), ellipsoidDepth(x, y, z, -25, -4, 2, 6, 16, 10));
  const caudate = Math.max(ellipsoidDepth(x, y, z, 13, -16, 14, 5, 12, 7), ellipsoidDepth(x, y, z, -13, -16, 14, 5, 12, 7));
  v += (DEEP_GREY - v) * step(Math.max(thalamus, putamen, caudate));
  // lateral ventricles (curved over the thalamus) and the third ventricle
  const bend = 0.004 * (y - 6) ** 2;
  const lateral = Math.max(ellipsoidDepth(x, y, z - bend, 8, -2, 16, 5, 26, 5), ellipsoidDepth(x, y, z - bend, -8, -2, 16, 5, 26, 5));
  const third = ellipsoidDepth(x, y, z, 0, 10, 2, 1.8, 12, 7);
  v += (CSF - v) * step(Math.max(lateral, third));
  return v;
}

/** Generate the phantom (deterministic for given options; about a second for the default grid). */
export function syntheticHead(options: SyntheticHeadOptions = {}): SyntheticHead {
  const dims = options.dims ?? SYNTHETIC_HEAD_DEFAULTS.dims;
  const spacing = options.spacing ?? SYNTHETIC_HEAD_DEFAULTS.spacing;
  const seed = options.seed ?? SYNTHETIC_HEAD_DEFAULTS.seed;
  const [nx, ny, nz] = dims;
  // the grid's centre sits 10 mm below the brain centre (more neck than air above the vertex)
  const origin: Vec3 = [-((nx - 1) / 2) * spacing[0], -((ny - 1) / 2) * spacing[1] + 4, -((nz - 1) / 2) * spacing[2] - 12];
  const affineLps = [spacing[0], 0, 0, origin[0], 0, spacing[1], 0, origin[1], 0, 0, spacing[2], origin[2], 0, 0, 0, 1];
  const rand = mulberry32(seed);
  // Box-Muller normal noise
  let spare: number | null = null;
  const normal = (): number => {
    if (spare !== null) {
      const s = spare;
      spare = null;
      return s;
    }
    const u = Math.max(rand(), 1e-12);
    const t = 2 * Math.PI * rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  const noiseSigma = 0.025 * WHITE;
  const data = new Uint16Array(nx * ny * nz);
  const tissue = options.truth ? new Uint8Array(nx * ny * nz) : null;
  for (let k = 0, v = 0; k < nz; k++) {
    const z = origin[2] + k * spacing[2];
    for (let j = 0; j < ny; j++) {
      const y = origin[1] + j * spacing[1];
      for (let i = 0; i < nx; i++, v++) {
        const x = origin[0] + i * spacing[0];
        const value = intensity(x, y, z);
        if (value <= 0) continue;
        if (tissue) tissue[v] = lastTissue;
        // receive-coil bias: brighter towards the back and the top, a little brighter on the left
        const bias = 1 + 0.05 * (y / 100) + 0.06 * (z / 90) + 0.02 * (x / 80) - 0.04 * ((x * x) / 6400 + (y * y) / 10000);
        const noisy = Math.round(value * bias + noiseSigma * normal());
        data[v] = Math.min(4095, Math.max(1, noisy));
      }
    }
  }
  return { dims: [nx, ny, nz], spacing: [spacing[0], spacing[1], spacing[2]], affineLps, data, seed, tissue };
}
