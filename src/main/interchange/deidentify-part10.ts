/**
 * De-identify a DICOM Part 10 file: parse it with dcmjs, apply the Basic Profile (shared/interchange/
 * deidentify.ts) and write a new file (Explicit VR Little Endian, dicom-writer.ts) with the pixel data
 * byte for byte. Only uncompressed files (Implicit or Explicit VR Little Endian) are accepted: the
 * writer emits native pixel data, and decoding compressed pixels would change them.
 *
 * The UID map and the patient map are the caller's; writeUidMapping saves them, when asked, as the
 * manifest that re-identifies the output — it belongs apart from the de-identified files.
 */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { writeFileAtomically } from './atomic-file.js';
import { deidentifyDataset, personNameText, type DeidentifyAction, type DeidentifyOptions, type DicomDataset, type PatientChange } from '../../shared/interchange/deidentify.js';
import { hasDicomPreamble, loadDcmjs } from '../studies/dicom/dcmjs-reader.js';
import { DicomWriteError, encodePart10, newUid, type DicomItem, type DicomValue } from './dicom-writer.js';

interface RawElement {
  vr: string;
  Value?: unknown[];
}
interface Dcmjs {
  data: {
    DicomMessage: { readFile(buffer: ArrayBuffer, options?: { ignoreErrors?: boolean }): { meta: Record<string, RawElement>; dict: Record<string, RawElement> } };
    DicomMetaDictionary: {
      naturalizeDataset(dict: Record<string, RawElement>): DicomDataset;
      nameMap: Record<string, { tag: string; vr: string }>;
    };
  };
}

const IMPLICIT_VR_LE = '1.2.840.10008.1.2';
const EXPLICIT_VR_LE = '1.2.840.10008.1.2.1';
const BINARY_VRS = new Set(['OB', 'OW', 'OD', 'OF', 'OL', 'OV', 'UN']);
const NUMERIC_VRS = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'AT']);

export interface Part10DeidentifyOptions extends Omit<DeidentifyOptions, 'newUid'> {
  /** defaults to a 2.25 UUID-derived UID */
  newUid?: () => string;
}

export interface DeidentifiedPart10 {
  bytes: Uint8Array;
  sopInstanceUid: string;
  actions: DeidentifyAction[];
  warnings: string[];
  patient: PatientChange;
}

/** Which VR each tag had in the source (explicit VR files say so; dcmjs fills implicit ones from its dictionary). */
function sourceVrs(dict: Record<string, RawElement>, into = new Map<string, string>()): Map<string, string> {
  for (const [tag, element] of Object.entries(dict)) {
    if (!into.has(tag.toUpperCase())) into.set(tag.toUpperCase(), element.vr);
    if (element.vr === 'SQ') for (const item of element.Value ?? []) if (item && typeof item === 'object') sourceVrs(item as Record<string, RawElement>, into);
  }
  return into;
}

interface WriteContext {
  dcmjs: Dcmjs;
  vrs: Map<string, string>;
  implicit: boolean;
  signedPixels: boolean;
  bitsAllocated: number;
  nonAscii: boolean;
}

const hexOf = (dictionaryTag: string) => dictionaryTag.replace(/[(),]/g, '').toUpperCase();

/** The VR to write: the source's where it said (or dcmjs chose), else the dictionary's, with the "US or SS"/"OB or OW" choices made as PS3.5 does. */
function vrFor(key: string, item: DicomDataset, ctx: WriteContext): { tag: string; vr: string } {
  if (/^[0-9A-Fa-f]{8}$/.test(key)) return { tag: key.toUpperCase(), vr: ctx.vrs.get(key.toUpperCase()) ?? 'UN' };
  const entry = ctx.dcmjs.data.DicomMetaDictionary.nameMap[key];
  if (!entry) throw new DelineateError('internal', `no DICOM dictionary entry for ${key}`);
  const tag = hexOf(entry.tag);
  const vrMap = (item._vrMap ?? {}) as Record<string, string>;
  const ambiguous = entry.vr.length !== 2 || entry.vr === 'xs' || entry.vr === 'ox';
  if (key === 'PixelData') return { tag, vr: !ctx.implicit && vrMap[key] ? vrMap[key]! : ctx.bitsAllocated > 8 ? 'OW' : 'OB' };
  if (ambiguous && ctx.implicit) {
    if (entry.vr === 'xs' || entry.vr.startsWith('US or SS')) return { tag, vr: ctx.signedPixels ? 'SS' : 'US' };
    if (entry.vr === 'ox' || entry.vr.startsWith('OB or OW')) return { tag, vr: ctx.bitsAllocated > 8 ? 'OW' : 'OB' };
  }
  const vr = vrMap[key] ?? ctx.vrs.get(tag) ?? entry.vr;
  return { tag, vr: vr.length === 2 && vr !== 'xs' && vr !== 'ox' ? vr : entry.vr === 'ox' ? 'OB' : entry.vr.slice(0, 2) };
}

function bytesOf(value: unknown, where: string): Uint8Array {
  const parts = (Array.isArray(value) ? value : [value]).filter((p) => p !== undefined && p !== null);
  const views = parts.map((p) => {
    if (p instanceof ArrayBuffer) return new Uint8Array(p);
    if (ArrayBuffer.isView(p)) return new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
    throw new DelineateError('invalid_input', `${where}: expected binary data`);
  });
  if (views.length === 1) return views[0]!;
  const out = new Uint8Array(views.reduce((n, v) => n + v.byteLength, 0));
  let at = 0;
  for (const v of views) {
    out.set(v, at);
    at += v.byteLength;
  }
  return out;
}

function writableValue(vr: string, value: unknown, where: string, ctx: WriteContext): Exclude<DicomValue, { vr: string }> {
  if (vr === 'SQ') {
    if (!Array.isArray(value)) throw new DelineateError('invalid_input', `${where} is a sequence without items`);
    return value.map((item, i) => writableItem(item as DicomDataset, `${where}[${i}]`, ctx));
  }
  if (BINARY_VRS.has(vr)) return bytesOf(value, where);
  if (vr === 'PN') return note(personNameText(value), ctx);
  if (NUMERIC_VRS.has(vr)) {
    if (ArrayBuffer.isView(value)) return value as Uint8Array;
    const numbers = (Array.isArray(value) ? value : [value]).filter((v) => v !== '' && v !== undefined && v !== null);
    if (!numbers.every((n) => typeof n === 'number')) throw new DelineateError('invalid_input', `${where} (${vr}) holds a value that is not a number`);
    const signed = vr === 'SS' && ctx.implicit ? numbers.map((n) => ((n as number) > 32767 ? (n as number) - 65536 : n)) : numbers;
    return signed as number[];
  }
  if (Array.isArray(value)) return value.map((v) => (typeof v === 'number' ? v : note(String(v ?? ''), ctx)));
  return typeof value === 'number' ? value : note(String(value), ctx);
}

function note(text: string, ctx: WriteContext): string {
  if (/[^\x00-\x7f]/.test(text)) ctx.nonAscii = true;
  return text;
}

/** A naturalized dataset in the shape encodePart10 writes, every element with its VR. */
function writableItem(item: DicomDataset, where: string, ctx: WriteContext): DicomItem {
  const out: DicomItem = {};
  for (const [key, value] of Object.entries(item)) {
    if (key.startsWith('_') || value === undefined || value === null || key === 'SpecificCharacterSet') continue;
    const { tag, vr } = vrFor(key, item, ctx);
    if (tag.endsWith('0000')) continue; // group lengths: stale once attributes are gone, and optional
    const at = where ? `${where}.${key}` : key;
    out[key] = { vr, value: writableValue(vr, value, at, ctx) };
  }
  return out;
}

/**
 * De-identify one Part 10 file. `uidMap` is shared by every file of an export so that study, series,
 * frame of reference and referenced instance UIDs stay consistent between them.
 */
export function deidentifyPart10(bytes: Uint8Array, options: Part10DeidentifyOptions, uidMap: Map<string, string>): DeidentifiedPart10 {
  if (!hasDicomPreamble(bytes)) throw new DelineateError('invalid_input', 'Not a DICOM Part 10 file (no "DICM" at byte 128)');
  const dcmjs = loadDcmjs() as Dcmjs;
  let parsed: ReturnType<Dcmjs['data']['DicomMessage']['readFile']>;
  try {
    parsed = dcmjs.data.DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  } catch (err) {
    throw new DelineateError('invalid_input', `Cannot parse the DICOM file: ${(err as Error).message}`);
  }
  const transferSyntax = String(parsed.meta['00020010']?.Value?.[0] ?? '').replace(/\0/g, '').trim();
  if (transferSyntax !== IMPLICIT_VR_LE && transferSyntax !== EXPLICIT_VR_LE)
    throw new DelineateError(
      'invalid_input',
      `Transfer syntax ${transferSyntax || '(none)'} is not supported for de-identification: only uncompressed little-endian files (${IMPLICIT_VR_LE}, ${EXPLICIT_VR_LE}) can be rewritten with their pixel data unchanged`,
    );
  const natural = dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict);
  const result = deidentifyDataset(natural, { ...options, newUid: options.newUid ?? newUid }, uidMap);
  const sopClassUid = result.dataset.SOPClassUID;
  const sopInstanceUid = result.dataset.SOPInstanceUID;
  if (typeof sopClassUid !== 'string' || !sopClassUid || typeof sopInstanceUid !== 'string' || !sopInstanceUid)
    throw new DelineateError('invalid_input', 'The DICOM file has no SOP Class UID or SOP Instance UID');

  const ctx: WriteContext = {
    dcmjs,
    vrs: sourceVrs(parsed.dict),
    implicit: transferSyntax === IMPLICIT_VR_LE,
    signedPixels: natural.PixelRepresentation === 1,
    bitsAllocated: typeof natural.BitsAllocated === 'number' ? natural.BitsAllocated : 16,
    nonAscii: false,
  };
  const writable = writableItem(result.dataset, '', ctx);
  // strings are written as UTF-8, whatever character set the source declared
  if (ctx.nonAscii) writable.SpecificCharacterSet = { vr: 'CS', value: 'ISO_IR 192' };
  let out: Uint8Array;
  try {
    out = encodePart10(writable, { sopClassUid, sopInstanceUid });
  } catch (err) {
    if (err instanceof DicomWriteError) throw new DelineateError('invalid_input', `Cannot rewrite the de-identified file: ${err.message}`);
    throw err;
  }
  return { bytes: out, sopInstanceUid, actions: result.actions, warnings: result.warnings, patient: result.patient };
}

/** Whether `child` is `parent` or inside it (after resolving both). */
export function isInside(child: string, parent: string): boolean {
  const rel = path.relative(path.resolve(parent), path.resolve(child));
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * The mapping manifest (original → new UIDs, original → new patient identity): it re-identifies the
 * de-identified files, so it is written only when asked, only outside `notInside` (the output), and
 * readable by the owner only. Written to a temporary name and renamed.
 */
export function writeUidMapping(file: string, uidMap: ReadonlyMap<string, string>, patientMap: ReadonlyMap<string, PatientChange> = new Map(), options: { notInside?: string } = {}): void {
  if (options.notInside !== undefined && isInside(file, options.notInside))
    throw new DelineateError('invalid_params', `The mapping file ${file} would be inside the de-identified output ${options.notInside}; write it somewhere else`);
  const manifest = {
    kind: 'delineate-deidentification-mapping',
    warning: 'This file links de-identified data to the original identities; keep it apart from that data.',
    createdAt: new Date().toISOString(),
    patients: [...patientMap.values()],
    uids: [...uidMap].map(([original, replacement]) => ({ original, replacement })),
  };
  const target = path.resolve(file);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  writeFileAtomically(target, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
}
