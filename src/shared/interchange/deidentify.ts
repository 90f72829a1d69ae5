/**
 * DICOM de-identification with the PS3.15 Basic Application Level Confidentiality Profile (Annex E,
 * Table E.1-1 in basic-profile.ts), applied to a naturalized dataset: keyword keys (or 8-hex-digit tags
 * for attributes the parser did not know), sequences as arrays of items, recursed into at any depth.
 *
 * How the codes are read. The combined codes let the de-identifier choose by the attribute's Type in
 * the IOD; we de-identify datasets of any IOD without its module tables, so we take the reading that
 * leaks nothing and stays valid whatever the Type:
 * - X: removed. Z: emptied (zero-length; a sequence with no items). U: each UID replaced through the
 *   caller's map, so one original UID becomes the same new UID in every dataset sharing the map.
 * - D: a dummy of the VR ("ANONYMIZED", 19000101, 0, …); a sequence gets one empty item; a UI gets a
 *   replacement UID from the map (a dummy that keeps references consistent).
 * - X/Z → Z (empty carries no more than removal and is valid for Type 2 and 3).
 * - X/D, Z/D, X/Z/D → D (valid for Type 1 too); on a sequence → Z: their items (institution codes,
 *   operators, procedure steps) would identify and an empty item is no valid dummy.
 * - X/Z/U* (Referenced Image / Source Image Sequence) → the items are kept and de-identified with the
 *   table, which replaces the referenced instance UIDs (U), so references between de-identified
 *   instances (e.g. a SEG and its images) stay valid.
 * - Private attributes (odd groups) and curves (50xx) are removed; so are overlays (60xx): the table
 *   removes their data and comments, and an overlay group without its data is invalid.
 * - Attributes the table does not list are kept (the profile allows it); their sequences are still
 *   searched for listed attributes (e.g. UIDs in Referenced Series Sequence).
 * Options:
 * - retainLongitudinalDates (Retain Longitudinal Temporal Information with Modified Dates, 113107):
 *   attributes the option cleans (C) keep their meaning with every DA and the date of every DT moved by
 *   the same whole number of days, so intervals are kept; times of day (TM) and Timezone Offset From UTC
 *   are kept unchanged (a whole-day shift does not move them). A value that is not a complete date
 *   (e.g. a DT of only "2020") cannot be shifted exactly and gets the basic action, with a warning.
 * - patientPseudonym: PatientName and PatientID (wherever they occur) become the given values.
 * Added: PatientIdentityRemoved YES, DeidentificationMethod, DeidentificationMethodCodeSequence (DCM
 * 113100, plus 113107 with the option) and LongitudinalTemporalInformationModified; earlier values of
 * these are replaced (free text from an earlier de-identifier could itself identify).
 *
 * Pure: UIDs come from the injected generator, and the input dataset is not modified.
 */
import { DelineateError } from '../errors.js';
import { BASIC_PROFILE, CURVE_KEYWORDS, DATES, OVERLAY_KEYWORDS, type BasicProfileCode, type BasicProfileRow } from './basic-profile.js';

export type DicomDataset = Record<string, unknown>;

export interface DeidentifyOptions {
  /** a new, globally unique UID on every call (e.g. 2.25.<UUID as an integer>) */
  newUid: () => string;
  /** shift dates by this many days instead of removing them (whole days, may be negative) */
  retainLongitudinalDates?: { shiftDays: number };
  /** the new PatientName and PatientID */
  patientPseudonym?: { name: string; id: string };
}

/** What happened to one attribute. */
export type AppliedAction = 'removed' | 'emptied' | 'dummy' | 'uid-replaced' | 'date-shifted' | 'kept' | 'pseudonym' | 'added' | 'items-deidentified';

export interface DeidentifyAction {
  /** where, e.g. "ReferencedImageSequence[0].ReferencedSOPInstanceUID" */
  path: string;
  keyword: string;
  /** 8 hex digits, when known */
  tag: string | null;
  /** the Basic Profile code, or why: "private", "curve", "overlay", "option", "profile" */
  rule: BasicProfileCode | 'private' | 'curve' | 'overlay' | 'option' | 'profile';
  action: AppliedAction;
}

/** The patient identity before and after (for a mapping manifest the caller may keep). */
export interface PatientChange {
  originalId: string;
  originalName: string;
  newId: string;
  newName: string;
}

export interface DeidentifyResult {
  dataset: DicomDataset;
  actions: DeidentifyAction[];
  warnings: string[];
  patient: PatientChange;
}

export const BASIC_PROFILE_CODE = { value: '113100', scheme: 'DCM', meaning: 'Basic Application Confidentiality Profile' } as const;
export const MODIFIED_DATES_CODE = { value: '113107', scheme: 'DCM', meaning: 'Retain Longitudinal Temporal Information Modified Dates Option' } as const;

const byKeyword = new Map<string, BasicProfileRow>(BASIC_PROFILE.map((r) => [r[1], r]));
const byTag = new Map<string, BasicProfileRow>(BASIC_PROFILE.map((r) => [r[0], r]));
const curves = new Set(CURVE_KEYWORDS);
const overlays = new Set(OVERLAY_KEYWORDS);

/** The profile row of a keyword (with or without dcmjs' "RETIRED_" prefix) or 8-hex-digit tag. */
export function profileRowOf(key: string): BasicProfileRow | undefined {
  return isTagKey(key) ? byTag.get(key.toUpperCase()) : byKeyword.get(key.replace(/^RETIRED_/, ''));
}

const isTagKey = (key: string) => /^[0-9A-Fa-f]{8}$/.test(key);
const isItem = (v: unknown): v is DicomDataset => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer);
const isSequenceValue = (v: unknown): v is DicomDataset[] => Array.isArray(v) && v.length > 0 && v.every(isItem);

const TEXT_DUMMY: Record<string, string> = {
  AE: 'ANONYMIZED', AS: '000Y', CS: 'ANONYMIZED', DA: '19000101', DT: '19000101000000', TM: '000000', DS: '0', IS: '0',
  LO: 'ANONYMIZED', LT: 'ANONYMIZED', PN: 'ANONYMIZED', SH: 'ANONYMIZED', ST: 'ANONYMIZED', UC: 'ANONYMIZED', UT: 'ANONYMIZED', UR: 'ANONYMIZED',
};
const NUMERIC_VRS = new Set(['US', 'SS', 'UL', 'SL', 'FL', 'FD', 'SV', 'UV', 'AT']);
const BYTES_DUMMY: Record<string, number> = { OB: 2, OW: 2, UN: 2, OF: 4, OL: 4, OD: 8, OV: 8 };

function dummyOf(vr: string): unknown {
  if (vr === 'SQ') return [{}];
  if (TEXT_DUMMY[vr] !== undefined) return TEXT_DUMMY[vr];
  if (NUMERIC_VRS.has(vr)) return 0;
  return new Uint8Array(BYTES_DUMMY[vr] ?? 2);
}

function emptyOf(vr: string): unknown {
  if (vr === 'SQ') return [];
  return TEXT_DUMMY[vr] !== undefined ? '' : new Uint8Array(0);
}

/** A calendar date YYYYMMDD moved by whole days; null when the text is not a valid date or leaves years 1–9999. */
export function shiftDate(text: string, days: number): string | null {
  const m = /^(\d{4})(\d{2})(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  date.setUTCDate(date.getUTCDate() + days);
  const year = date.getUTCFullYear();
  if (year < 1 || year > 9999) return null;
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(year, 4)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}`;
}

/** A DA or DT value with its date moved; null when it holds no complete date to move. */
function shiftValue(vr: string, text: string, days: number): string | null {
  const trimmed = text.trim();
  if (vr === 'DA') return shiftDate(trimmed, days);
  const m = /^(\d{8})((\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?([+-]\d{4})?)$/.exec(trimmed);
  if (!m) return null;
  const date = shiftDate(m[1]!, days);
  return date === null ? null : date + m[2]!;
}

/** A person name value as text: a string, or dcmjs' [{ Alphabetic, Ideographic, Phonetic }]. */
export function personNameText(value: unknown): string {
  const one = (v: unknown): string => {
    if (typeof v === 'string') return v;
    if (isItem(v)) return [v.Alphabetic, v.Ideographic, v.Phonetic].map((p) => (typeof p === 'string' ? p : '')).join('=').replace(/=+$/, '');
    return v === undefined || v === null ? '' : String(v);
  };
  return Array.isArray(value) ? value.map(one).join('\\') : one(value);
}

function checkOptions(options: DeidentifyOptions): void {
  const shift = options.retainLongitudinalDates?.shiftDays;
  if (shift !== undefined && !(Number.isInteger(shift) && Math.abs(shift) <= 3_000_000))
    throw new DelineateError('invalid_params', `retainLongitudinalDates.shiftDays must be a whole number of days, got ${shift}`);
  const pseudonym = options.patientPseudonym;
  if (pseudonym) {
    for (const [field, text] of [['name', pseudonym.name], ['id', pseudonym.id]] as const) {
      if (typeof text !== 'string' || !text.trim()) throw new DelineateError('invalid_params', `patientPseudonym.${field} is empty`);
      if (text.length > 64) throw new DelineateError('invalid_params', `patientPseudonym.${field} is ${text.length} characters; DICOM allows 64`);
      if (/[\\\x00-\x1f]/.test(text)) throw new DelineateError('invalid_params', `patientPseudonym.${field} contains a backslash or control character`);
    }
  }
}

class Deidentifier {
  readonly actions: DeidentifyAction[] = [];
  readonly warnings: string[] = [];

  constructor(
    private readonly options: DeidentifyOptions,
    private readonly uids: Map<string, string>,
  ) {}

  private log(path: string, key: string, tag: string | null, rule: DeidentifyAction['rule'], action: AppliedAction): void {
    this.actions.push({ path, keyword: key.replace(/^RETIRED_/, ''), tag, rule, action });
  }

  replaceUid(uid: string): string {
    const original = uid.replace(/[\0\s]+$/, '');
    let replacement = this.uids.get(original);
    if (replacement === undefined) {
      replacement = this.options.newUid();
      if (!/^[0-9]+(\.[0-9]+)*$/.test(replacement) || replacement.length > 64) throw new DelineateError('internal', `the UID generator returned ${JSON.stringify(replacement)}`);
      this.uids.set(original, replacement);
    }
    return replacement;
  }

  item(source: DicomDataset, path: string): DicomDataset {
    const out: DicomDataset = {};
    for (const [key, value] of Object.entries(source)) {
      // dcmjs bookkeeping (e.g. _vrMap) is not an attribute
      if (key.startsWith('_')) {
        out[key] = value;
        continue;
      }
      const at = path ? `${path}.${key}` : key;
      const tag = isTagKey(key) ? key.toUpperCase() : null;
      const keyword = key.replace(/^RETIRED_/, '');
      const group = tag ? parseInt(tag.slice(0, 4), 16) : -1;
      if (tag && group % 2 === 1) {
        this.log(at, key, tag, 'private', 'removed');
        continue;
      }
      if (curves.has(keyword) || (tag && group >= 0x5000 && group <= 0x50ff)) {
        this.log(at, key, tag, 'curve', 'removed');
        continue;
      }
      if (overlays.has(keyword) || (tag && group >= 0x6000 && group <= 0x60ff)) {
        this.log(at, key, tag, 'overlay', 'removed');
        continue;
      }
      const row = profileRowOf(key);
      if (!row) {
        out[key] = isSequenceValue(value) ? value.map((item, i) => this.item(item, `${at}[${i}]`)) : value;
        continue;
      }
      const result = this.apply(row, key, value, at);
      if (result !== REMOVE) out[key] = result;
    }
    return out;
  }

  private apply(row: BasicProfileRow, key: string, value: unknown, at: string): unknown {
    const [tag, keyword, vr, code, option] = row;
    const pseudonym = this.options.patientPseudonym;
    if (pseudonym && (keyword === 'PatientName' || keyword === 'PatientID')) {
      this.log(at, key, tag, code, 'pseudonym');
      return keyword === 'PatientName' ? pseudonym.name : pseudonym.id;
    }
    const shift = this.options.retainLongitudinalDates?.shiftDays;
    if (shift !== undefined && option === DATES) {
      if (vr === 'DA' || vr === 'DT') {
        const shifted = this.shifted(vr, value, shift);
        if (shifted !== null) {
          this.log(at, key, tag, 'option', 'date-shifted');
          return shifted;
        }
        this.warnings.push(`${at}: ${JSON.stringify(value)} is not a complete ${vr} and could not be shifted; the basic action (${code}) was applied`);
      } else if (vr === 'TM' || keyword === 'TimezoneOffsetFromUTC') {
        this.log(at, key, tag, 'option', 'kept');
        return value;
      }
    }
    switch (code) {
      case 'X':
        return this.remove(at, key, tag, code);
      case 'Z':
      case 'X/Z':
        return this.empty(at, key, tag, code, vr);
      case 'D':
        return vr === 'UI' ? this.uid(at, key, tag, code, value) : this.dummy(at, key, tag, code, vr);
      case 'X/D':
      case 'Z/D':
      case 'X/Z/D':
        return vr === 'SQ' ? this.empty(at, key, tag, code, vr) : this.dummy(at, key, tag, code, vr);
      case 'U':
        return this.uid(at, key, tag, code, value);
      case 'X/Z/U*':
        if (!Array.isArray(value)) return this.remove(at, key, tag, code);
        this.log(at, key, tag, code, 'items-deidentified');
        return value.map((item, i) => (isItem(item) ? this.item(item, `${at}[${i}]`) : item));
    }
  }

  private shifted(vr: string, value: unknown, days: number): unknown {
    const values = Array.isArray(value) ? value : [value];
    const out: string[] = [];
    for (const v of values) {
      if (typeof v !== 'string') return null;
      if (v.trim() === '') {
        out.push(v);
        continue;
      }
      const s = shiftValue(vr, v, days);
      if (s === null) return null;
      out.push(s);
    }
    return Array.isArray(value) ? out : out[0];
  }

  private remove(at: string, key: string, tag: string, code: BasicProfileCode): typeof REMOVE {
    this.log(at, key, tag, code, 'removed');
    return REMOVE;
  }

  private empty(at: string, key: string, tag: string, code: BasicProfileCode, vr: string): unknown {
    this.log(at, key, tag, code, 'emptied');
    return emptyOf(vr);
  }

  private dummy(at: string, key: string, tag: string, code: BasicProfileCode, vr: string): unknown {
    this.log(at, key, tag, code, 'dummy');
    return dummyOf(vr);
  }

  private uid(at: string, key: string, tag: string, code: BasicProfileCode, value: unknown): unknown {
    const values = Array.isArray(value) ? value : [value];
    if (!values.every((v) => typeof v === 'string')) {
      this.warnings.push(`${at} is not a UID string; removed`);
      return this.remove(at, key, tag, code);
    }
    const replaced = (values as string[]).map((v) => (v.trim() === '' ? v : this.replaceUid(v)));
    this.log(at, key, tag, code, 'uid-replaced');
    return Array.isArray(value) ? replaced : replaced[0];
  }
}

const REMOVE = Symbol('remove');

/**
 * De-identify one dataset. `uidMap` (original UID → new UID) is the caller's: pass the same map for
 * every instance of a study (or of a whole export) so references between them stay consistent.
 */
export function deidentifyDataset(dataset: DicomDataset, options: DeidentifyOptions, uidMap: Map<string, string>): DeidentifyResult {
  checkOptions(options);
  const worker = new Deidentifier(options, uidMap);
  const out = worker.item(dataset, '');
  const pseudonym = options.patientPseudonym;
  if (pseudonym) {
    for (const keyword of ['PatientName', 'PatientID'] as const) {
      if (out[keyword] !== undefined) continue;
      out[keyword] = keyword === 'PatientName' ? pseudonym.name : pseudonym.id;
      worker.actions.push({ path: keyword, keyword, tag: byKeyword.get(keyword)![0], rule: 'option', action: 'pseudonym' });
    }
  }
  const shifted = options.retainLongitudinalDates !== undefined;
  const added: DicomDataset = {
    PatientIdentityRemoved: 'YES',
    DeidentificationMethod: shifted ? 'DICOM PS3.15 Basic Profile, Modified Dates Option' : 'DICOM PS3.15 Basic Profile',
    DeidentificationMethodCodeSequence: [BASIC_PROFILE_CODE, ...(shifted ? [MODIFIED_DATES_CODE] : [])].map((c) => ({
      CodeValue: c.value,
      CodingSchemeDesignator: c.scheme,
      CodeMeaning: c.meaning,
    })),
    LongitudinalTemporalInformationModified: shifted ? 'MODIFIED' : 'REMOVED',
  };
  for (const [keyword, value] of Object.entries(added)) {
    out[keyword] = value;
    worker.actions.push({ path: keyword, keyword, tag: null, rule: 'profile', action: 'added' });
  }
  if (typeof dataset.BurnedInAnnotation === 'string' && dataset.BurnedInAnnotation.trim().toUpperCase() === 'YES')
    worker.warnings.push('BurnedInAnnotation is YES: the pixels may show identifying text, which de-identification of the header does not remove');
  return {
    dataset: out,
    actions: worker.actions,
    warnings: worker.warnings,
    patient: {
      originalId: personNameText(dataset.PatientID),
      originalName: personNameText(dataset.PatientName),
      newId: personNameText(out.PatientID),
      newName: personNameText(out.PatientName),
    },
  };
}
