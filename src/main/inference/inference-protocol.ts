/** Messages between the inference engine (app process) and its inference child process (structured clone). */
import type { ModelManifest } from '../../shared/inference/manifest.js';
import type { VolumeGeometry, VoxelArray, VoxelType } from '../../shared/volume.js';

export type ProviderPreference = 'auto' | 'cpu' | 'cuda';
export type ExecutionProvider = 'cpu' | 'cuda';

export interface RunRequest {
  type: 'run';
  runId: number;
  model: { onnxPath: string; sha256: string; inputName: string; outputName: string; manifest: ModelManifest };
  provider: ProviderPreference;
  allowGpu: boolean;
  /** ONNX Runtime CPU threads (intraOpNumThreads); 0 = one per core */
  cpuThreads: number;
  /** the series: geometry plus its voxels, sent along or read by the child from the volume cache file */
  volume: VolumeGeometry & { voxelType: VoxelType; source: VolumeSource };
}

/** a stored series is read by the child straight from the volume cache (no copy through the pipe) */
export type VolumeSource = { kind: 'inline'; data: VoxelArray } | { kind: 'file'; dataDir: string; volumeFile: string; bytes: number };

export interface ProviderChoice {
  provider: ExecutionProvider;
  /** a sentence a user can read: which provider ran and why */
  reason: string;
}

export type { UncertaintySummary as UncertaintyScore } from '../../shared/inference/postprocess.js';
import type { UncertaintySummary as UncertaintyScore } from '../../shared/inference/postprocess.js';

export interface PipelineTimings {
  sessionMs: number;
  conformMs: number;
  normaliseMs: number;
  inferenceMs: number;
  /** the part of inferenceMs spent inside session.run */
  sessionRunMs: number;
  postprocessMs: number;
  resampleBackMs: number;
  totalMs: number;
}

export interface RunResult {
  type: 'result';
  runId: number;
  /** label map on the series grid */
  labels: Uint8Array | Uint16Array;
  choice: ProviderChoice;
  timings: PipelineTimings;
  uncertainty: UncertaintyScore;
  modelGrid: { dims: [number, number, number]; cropped: [number, number, number]; tiles: number };
  /** the inference process's peak resident memory so far */
  peakRssBytes: number;
}

export type ChildMessage =
  | { type: 'progress'; runId: number; stage: string; fraction: number | null; message: string }
  | RunResult
  | { type: 'error'; runId: number; code: string; message: string };
