/**
 * One model package on disk: a folder holding manifest.json, the .onnx file it names and LICENSE.
 * readModelPackage checks all of it (the manifest against ModelManifestSchema, the files, the ONNX
 * graph's input and output against the manifest) so that a package that loads here runs in the
 * pipeline; every failure is a DelineateError naming the file and what is wrong with it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { DelineateError } from '../../shared/errors.js';
import { ModelManifestSchema, type ModelManifest } from '../../shared/inference/manifest.js';
import type { ModelOrigin } from '../../shared/inference/model-summary.js';
import { loadOrt } from '../compute/providers.js';

export type { ModelOrigin } from '../../shared/inference/model-summary.js';

export interface ModelPackage {
  manifest: ModelManifest;
  /** the package folder (absolute) */
  dir: string;
  /** the .onnx file named by manifest.file (absolute) */
  onnxPath: string;
  /** hex SHA-256 of the .onnx file */
  sha256: string;
  /** the ONNX input and output the pipeline feeds and reads (manifest names, else the graph's first) */
  inputName: string;
  outputName: string;
  origin: ModelOrigin;
}

export const MANIFEST_FILE = 'manifest.json';
export const LICENSE_FILE = 'LICENSE';

/** Read and validate manifest.json only (no ONNX): what the registry shows for a package whose files are broken. */
export async function readModelManifest(dir: string): Promise<ModelManifest> {
  const folder = path.resolve(dir);
  await assertFolder(folder);
  const file = path.join(folder, MANIFEST_FILE);
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isMissing(err)) throw new DelineateError('invalid_input', `${file}: missing (a model package holds manifest.json, the .onnx file it names and LICENSE)`, { file });
    throw new DelineateError('invalid_input', `${file}: cannot be read (${firstLine(err)})`, { file });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new DelineateError('invalid_input', `${file}: not valid JSON (${firstLine(err)})`, { file });
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((issue) => formatIssue(issue, json));
    throw new DelineateError('invalid_input', `${file}: does not match the model manifest schema: ${issues.join('; ')}`, { file, issues });
  }
  return parsed.data;
}

/** Validate a whole package: manifest, files, the ONNX graph against the manifest. */
export async function readModelPackage(dir: string, options: { origin?: ModelOrigin } = {}): Promise<ModelPackage> {
  const folder = path.resolve(dir);
  const manifest = await readModelManifest(folder);
  const onnxPath = path.join(folder, manifest.file);
  await assertFile(onnxPath, `missing (manifest.json names it in "file")`);
  await assertFile(path.join(folder, LICENSE_FILE), 'missing (a model package carries the licence text of its weights beside manifest.json)');
  const sha256 = await sha256File(onnxPath);
  const { inputName, outputName } = await checkGraph(onnxPath, manifest);
  return { manifest, dir: folder, onnxPath, sha256, inputName, outputName, origin: options.origin ?? 'user' };
}

/** Hex SHA-256 of a file, streamed (models run to hundreds of MB). */
export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

type ValueMetadata = { name: string; isTensor: boolean; type?: string; shape?: ReadonlyArray<number | string> };

const LABEL_OUTPUT_TYPES = new Set(['float32', 'float16', 'int64', 'int32', 'int16', 'int8', 'uint8', 'uint16']);

/** Open a CPU session (no graph optimisation: only the signature matters) and check input and output. */
async function checkGraph(onnxPath: string, manifest: ModelManifest): Promise<{ inputName: string; outputName: string }> {
  const ort = await loadOrt();
  let session: Awaited<ReturnType<typeof ort.InferenceSession.create>>;
  try {
    session = await ort.InferenceSession.create(onnxPath, { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 4 });
  } catch (err) {
    const reason = firstLine(err).replace(/^Load model from .* failed:\s*/, ''); // ORT repeats the path
    throw new DelineateError('invalid_input', `${onnxPath}: not a loadable ONNX model (${reason})`, { file: onnxPath });
  }
  try {
    const input = pickValue(onnxPath, 'input', session.inputMetadata as readonly ValueMetadata[], manifest.input.name);
    const output = pickValue(onnxPath, 'output', session.outputMetadata as readonly ValueMetadata[], manifest.output.name);
    checkInput(onnxPath, input, manifest);
    checkOutput(onnxPath, output, manifest);
    return { inputName: input.name, outputName: output.name };
  } finally {
    await session.release().catch(() => undefined);
  }
}

function pickValue(onnxPath: string, kind: 'input' | 'output', values: readonly ValueMetadata[], name: string | undefined): ValueMetadata {
  const names = values.map((v) => v.name).join(', ') || 'none';
  const value = name === undefined ? values[0] : values.find((v) => v.name === name);
  if (!value) {
    const why = name === undefined ? `has no ${kind}` : `has no ${kind} named "${name}" (manifest.json ${kind}.name; the graph's ${kind}s: ${names})`;
    throw new DelineateError('invalid_input', `${onnxPath}: ${why}`, { file: onnxPath, tensor: name });
  }
  return value;
}

const shapeText = (shape: ReadonlyArray<number | string>) => `[${shape.join(', ')}]`;

function checkInput(onnxPath: string, input: ValueMetadata, manifest: ModelManifest): void {
  const where = `${onnxPath}: input "${input.name}"`;
  const fail = (what: string, expected: string, actual: string) => new DelineateError('invalid_input', `${where} ${what}`, { file: onnxPath, tensor: input.name, expected, actual });
  const channels = manifest.input.channels;
  const expectedShape = `[N, ${channels}, D, H, W]`;
  if (!input.isTensor || input.type !== 'float32') {
    const actual = input.isTensor ? String(input.type) : 'not a tensor';
    throw fail(`is ${actual}; expected a float32 tensor ${expectedShape}`, `float32 ${expectedShape}`, actual);
  }
  const shape = input.shape ?? [];
  const actual = shapeText(shape);
  if (shape.length !== 5) {
    throw fail(`has shape ${actual} (rank ${shape.length}); expected rank 5 ${expectedShape}`, expectedShape, actual);
  }
  const [n, c, ...spatial] = shape;
  if (typeof n === 'number' && n !== 1) throw fail(`has batch size ${n} (shape ${actual}); expected 1 or symbolic, ${expectedShape}`, expectedShape, actual);
  if (typeof c === 'number' && c !== channels) {
    throw fail(`has ${c} channels (shape ${actual}); manifest.json input.channels is ${channels}, expected ${expectedShape}`, expectedShape, actual);
  }
  const fixedSize = manifest.inference.mode === 'sliding-window' ? manifest.inference.patchSize : manifest.input.conform.shape;
  const source = manifest.inference.mode === 'sliding-window' ? 'inference.patchSize' : 'input.conform.shape';
  if (fixedSize) {
    const expected = `[N, ${channels}, ${fixedSize.join(', ')}]`;
    spatial.forEach((d, axis) => {
      if (typeof d === 'number' && d !== fixedSize[axis]) {
        throw fail(`has shape ${actual}; manifest.json ${source} is ${shapeText(fixedSize)}, expected ${expected} (or symbolic D, H, W)`, expected, actual);
      }
    });
  } else if (spatial.some((d) => typeof d === 'number')) {
    throw fail(
      `has shape ${actual} with a fixed D, H, W, but manifest.json runs it on whole volumes of any size (set input.conform.shape or a sliding-window inference.patchSize to match)`,
      expectedShape,
      actual,
    );
  }
}

function checkOutput(onnxPath: string, output: ValueMetadata, manifest: ModelManifest): void {
  const where = `${onnxPath}: output "${output.name}"`;
  const fail = (what: string, expected: string, actual: string) => new DelineateError('invalid_input', `${where} ${what}`, { file: onnxPath, tensor: output.name, expected, actual });
  const channels = manifest.output.channels;
  const expectedShape = `[N, ${channels}, D, H, W]`;
  const kind = manifest.output.kind;
  if (!output.isTensor) throw fail(`is not a tensor; expected ${expectedShape}`, expectedShape, 'not a tensor');
  const type = String(output.type);
  if (kind === 'labels' ? !LABEL_OUTPUT_TYPES.has(type) : type !== 'float32') {
    throw fail(`is ${type}; manifest.json output.kind '${kind}' needs ${kind === 'labels' ? 'a numeric' : 'a float32'} tensor`, `${kind === 'labels' ? 'numeric' : 'float32'} ${expectedShape}`, type);
  }
  const shape = output.shape ?? [];
  const actual = shapeText(shape);
  if (shape.length !== 5) throw fail(`has shape ${actual} (rank ${shape.length}); expected rank 5 ${expectedShape}`, expectedShape, actual);
  const c = shape[1];
  if (typeof c === 'number' && c !== channels) {
    throw fail(`has ${c} channels (shape ${actual}); manifest.json output.channels is ${channels}, expected ${expectedShape}`, expectedShape, actual);
  }
}

/** One zod issue as `path.to.field: message`, saying "missing" for absent fields and showing the value found. */
export function formatIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const where = issue.path.length === 0 ? '(top level)' : issuePath(issue.path);
  const value = valueAt(input, issue.path);
  if (issue.code === 'invalid_type' && value === undefined) return `${where}: missing (expected ${issue.expected})`;
  // custom (cross-field) messages already say what they found
  const shown = value === undefined || typeof value === 'object' || issue.code === 'custom' ? '' : ` (got ${truncate(JSON.stringify(value), 60)})`;
  return `${where}: ${issue.message}${shown}`;
}

function issuePath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) out += typeof s === 'number' ? `[${s}]` : `${out ? '.' : ''}${String(s)}`;
  return out;
}

function valueAt(input: unknown, segments: readonly PropertyKey[]): unknown {
  let value = input;
  for (const s of segments) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[s];
  }
  return value;
}

async function assertFolder(folder: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(folder);
  } catch (err) {
    if (isMissing(err)) throw new DelineateError('not_found', `${folder}: no such folder (a model package is a folder with manifest.json, the .onnx file and LICENSE)`, { file: folder });
    throw new DelineateError('invalid_input', `${folder}: cannot be read (${firstLine(err)})`, { file: folder });
  }
  if (!stat.isDirectory()) throw new DelineateError('invalid_input', `${folder}: not a folder (a model package is a folder with manifest.json, the .onnx file and LICENSE)`, { file: folder });
}

async function assertFile(file: string, missing: string): Promise<void> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch (err) {
    if (isMissing(err)) throw new DelineateError('invalid_input', `${file}: ${missing}`, { file });
    throw new DelineateError('invalid_input', `${file}: cannot be read (${firstLine(err)})`, { file });
  }
  if (!stat.isFile()) throw new DelineateError('invalid_input', `${file}: not a file`, { file });
}

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR';

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const line = text.split('\n').find((l) => l.trim()) ?? text;
  return truncate(line.trim(), 300);
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 3)}...` : text);
