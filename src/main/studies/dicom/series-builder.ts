/**
 * Group scanned instances into series, split each series into stacks that can form one volume, and
 * plan each volume's grid. The result says exactly which file/frame fills which slice.
 */
import { planVolume, splitIntoStacks, type VolumePlan } from '../../../shared/series-plan.js';
import type { VoxelType } from '../../../shared/volume.js';
import type { DicomInstance, PixelMeta, SeriesMeta, SliceSource, StudyMeta } from './instance.js';

export interface PlannedVolume {
  /** SeriesInstanceUID, with "#N" appended for the 2nd, 3rd … stack split from one series */
  key: string;
  study: StudyMeta;
  series: SeriesMeta;
  pixel: PixelMeta;
  transferSyntaxes: string[];
  files: string[];
  plan: VolumePlan<SliceSource>;
  voxelType: VoxelType;
  components: 1 | 3;
}

export function planVolumes(instances: DicomInstance[]): PlannedVolume[] {
  const bySeries = new Map<string, DicomInstance[]>();
  for (const instance of instances) {
    const key = instance.series.seriesInstanceUid;
    const members = bySeries.get(key);
    if (members) members.push(instance);
    else bySeries.set(key, [instance]);
  }
  const volumes: PlannedVolume[] = [];
  for (const [seriesUid, members] of bySeries) {
    const slices = members.flatMap((m) => m.slices);
    const stacks = splitIntoStacks(slices);
    stacks.forEach((stack, index) => {
      const plan = planVolume(stack.slices, stack.reason);
      const used = new Set(plan.slices.flatMap((s) => (s ? [s.file] : [])));
      const owners = members.filter((m) => used.has(m.file));
      const head = owners[0]!;
      volumes.push({
        key: index === 0 ? seriesUid : `${seriesUid}#${index + 1}`,
        study: head.study,
        series: head.series,
        pixel: head.pixel,
        transferSyntaxes: [...new Set(owners.map((m) => m.transferSyntaxUid))].sort(),
        files: [...used].sort(),
        plan,
        ...outputFormat(head.pixel, plan.slices.filter((s): s is SliceSource => s !== null)),
      });
    });
  }
  return volumes;
}

/** The same volume planned again from fewer slices (after a file turned out to be unreadable). */
export function replanWithout(volume: PlannedVolume, remaining: SliceSource[]): PlannedVolume {
  const plan = planVolume(remaining, volume.plan.splitReason);
  return { ...volume, plan, files: [...new Set(remaining.map((s) => s.file))].sort() };
}

/**
 * The voxel type that holds every rescaled value exactly: the stored integer range mapped through each
 * slice's Rescale Slope/Intercept; float32 when a slope or intercept is fractional (e.g. PET, some MR).
 */
export function outputFormat(pixel: PixelMeta, slices: SliceSource[]): { voxelType: VoxelType; components: 1 | 3 } {
  if (pixel.samplesPerPixel === 3) return { voxelType: 'uint8', components: 3 };
  if (pixel.floatPixelData) return { voxelType: pixel.bitsAllocated === 64 ? 'float64' : 'float32', components: 1 };
  const signed = pixel.pixelRepresentation === 1;
  const bits = Math.min(pixel.bitsStored, pixel.bitsAllocated);
  const storedMin = signed ? -(2 ** (bits - 1)) : 0;
  const storedMax = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of slices) {
    if (!Number.isInteger(s.rescaleSlope) || !Number.isInteger(s.rescaleIntercept)) return { voxelType: 'float32', components: 1 };
    const a = storedMin * s.rescaleSlope + s.rescaleIntercept;
    const b = storedMax * s.rescaleSlope + s.rescaleIntercept;
    lo = Math.min(lo, a, b);
    hi = Math.max(hi, a, b);
  }
  if (lo >= 0 && hi <= 255 && pixel.bitsAllocated === 8) return { voxelType: 'uint8', components: 1 };
  if (lo >= -32768 && hi <= 32767) return { voxelType: 'int16', components: 1 };
  // 16-bit CT with an intercept (−1024) exceeds int16 only in theory: real HU never reach the
  // extremes. Take int16; assembly detects an actual overflow and redoes the volume as int32.
  if (bits <= 16 && slices.every((s) => s.rescaleSlope === 1)) return { voxelType: 'int16', components: 1 };
  if (lo >= 0 && hi <= 65535) return { voxelType: 'uint16', components: 1 };
  if (lo >= -(2 ** 31) && hi < 2 ** 31) return { voxelType: 'int32', components: 1 };
  return { voxelType: 'float32', components: 1 };
}
