/**
 * Volumes and their voxel storage. Voxels are stored x (column index i) fastest, then y (row j), then
 * z (slice k), the same order as NIfTI. RGB volumes interleave 3 components per voxel.
 */
export const VOXEL_TYPES = ['uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] as const;
export type VoxelType = (typeof VOXEL_TYPES)[number];

export type VoxelArray = Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array | Float32Array | Float64Array;

export type Vec3 = [number, number, number];

/** Where voxels are: dims, spacing (mm) and the voxel-index → patient (LPS, mm) affine. */
export interface VolumeGeometry {
  dims: Vec3;
  spacing: Vec3;
  /** 4×4 row-major: [x y z 1]_LPS = A · [i j k 1]; 16 numbers */
  affineLps: number[];
}

export interface Volume extends VolumeGeometry {
  voxelType: VoxelType;
  /** 1 for scalar images, 3 for RGB */
  components: 1 | 3;
  data: VoxelArray;
}

const CONSTRUCTORS = {
  uint8: Uint8Array,
  int8: Int8Array,
  uint16: Uint16Array,
  int16: Int16Array,
  uint32: Uint32Array,
  int32: Int32Array,
  float32: Float32Array,
  float64: Float64Array,
} as const;

export function bytesPerVoxel(type: VoxelType): number {
  return CONSTRUCTORS[type].BYTES_PER_ELEMENT;
}

export function allocateVoxels(type: VoxelType, length: number): VoxelArray {
  return new CONSTRUCTORS[type](length);
}

/** A typed-array view of the right type over bytes (copying only when misaligned). */
export function viewVoxels(type: VoxelType, bytes: Uint8Array): VoxelArray {
  const Ctor = CONSTRUCTORS[type];
  const size = Ctor.BYTES_PER_ELEMENT;
  if (bytes.byteLength % size !== 0) throw new RangeError(`${bytes.byteLength} bytes is not a whole number of ${type} voxels`);
  const aligned = bytes.byteOffset % size === 0 ? bytes : bytes.slice();
  return new (Ctor as new (b: ArrayBufferLike, o: number, n: number) => VoxelArray)(aligned.buffer, aligned.byteOffset, aligned.byteLength / size);
}

export function voxelTypeOf(array: VoxelArray): VoxelType {
  for (const [type, Ctor] of Object.entries(CONSTRUCTORS)) if (array instanceof Ctor) return type as VoxelType;
  throw new TypeError('not a voxel array');
}

export function voxelCount(dims: Vec3): number {
  return dims[0] * dims[1] * dims[2];
}
