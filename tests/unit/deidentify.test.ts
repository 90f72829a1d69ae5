// The PS3.15 Basic Profile, attribute by attribute: a dataset with every attribute of Table E.1-1 filled
// (under the three key styles a naturalized dataset uses), plus private tags, curves, overlays and
// identifiers nested in sequences, de-identified and checked row by row; the Modified Dates option; UID
// consistency across datasets; pseudonyms; bad options.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DelineateError } from '../../src/shared/errors.js';
import { BASIC_PROFILE, type BasicProfileCode } from '../../src/shared/interchange/basic-profile.js';
import { deidentifyDataset, shiftDate, type DicomDataset } from '../../src/shared/interchange/deidentify.js';

let counter = 0;
const generator = () => `2.25.${++counter}${'0'.repeat(20)}`;
const options = { newUid: generator };

/**
 * Rows transcribed by hand from PS3.15 (2024b) Table E.1-1, independently of basic-profile.ts: the
 * table must say the same for each.
 */
const KNOWN: [string, string, BasicProfileCode][] = [
  ['00100010', 'PatientName', 'Z'],
  ['00100020', 'PatientID', 'Z/D'],
  ['00100030', 'PatientBirthDate', 'Z'],
  ['00100040', 'PatientSex', 'Z'],
  ['00101010', 'PatientAge', 'X'],
  ['00101030', 'PatientWeight', 'X'],
  ['00101000', 'OtherPatientIDs', 'X'],
  ['00101002', 'OtherPatientIDsSequence', 'X'],
  ['00101040', 'PatientAddress', 'X'],
  ['00080050', 'AccessionNumber', 'Z'],
  ['00080020', 'StudyDate', 'Z'],
  ['00080030', 'StudyTime', 'Z'],
  ['00080021', 'SeriesDate', 'X/D'],
  ['00080022', 'AcquisitionDate', 'X/Z'],
  ['00080023', 'ContentDate', 'Z/D'],
  ['0008002A', 'AcquisitionDateTime', 'X/Z/D'],
  ['00080080', 'InstitutionName', 'X/Z/D'],
  ['00080081', 'InstitutionAddress', 'X'],
  ['00080090', 'ReferringPhysicianName', 'Z'],
  ['00081010', 'StationName', 'X/Z/D'],
  ['00081030', 'StudyDescription', 'X'],
  ['0008103E', 'SeriesDescription', 'X'],
  ['00081070', 'OperatorsName', 'X/Z/D'],
  ['00081140', 'ReferencedImageSequence', 'X/Z/U*'],
  ['00082112', 'SourceImageSequence', 'X/Z/U*'],
  ['00081155', 'ReferencedSOPInstanceUID', 'U'],
  ['00080018', 'SOPInstanceUID', 'U'],
  ['0020000D', 'StudyInstanceUID', 'U'],
  ['0020000E', 'SeriesInstanceUID', 'U'],
  ['00200052', 'FrameOfReferenceUID', 'U'],
  ['00200010', 'StudyID', 'Z'],
  ['00181000', 'DeviceSerialNumber', 'X/Z/D'],
  ['00181030', 'ProtocolName', 'X/D'],
  ['0040A730', 'ContentSequence', 'D'],
  ['0040A123', 'PersonName', 'D'],
  ['00204000', 'ImageComments', 'X'],
  ['00880200', 'IconImageSequence', 'X'],
  ['FFFAFFFA', 'DigitalSignaturesSequence', 'X'],
];

const TEXT_VRS = new Set(['AE', 'AS', 'CS', 'DA', 'DS', 'DT', 'IS', 'LO', 'LT', 'PN', 'SH', 'ST', 'TM', 'UC', 'UI', 'UR', 'UT']);

/** The key a row is stored under: its keyword, dcmjs' RETIRED_ form, or its tag, by turns. */
const keyOf = (index: number, tag: string, keyword: string) => [keyword, `RETIRED_${keyword}`, tag][index % 3]!;
const originalUid = (index: number) => `1.2.826.0.1.3680043.9.7.${index}`;

function valueFor(index: number, keyword: string, vr: string): unknown {
  switch (vr) {
    case 'SQ':
      // identifiers inside: a listed PN (Z), a listed UID (U), a private tag (X), and an unlisted code (kept)
      return [{ PatientName: [{ Alphabetic: `Nested^Secret${index}` }], StudyInstanceUID: `${originalUid(index)}.77`, '00091010': `SECRET nested ${index}`, CodeValue: 'KEEP' }];
    case 'UI':
      return originalUid(index);
    case 'DA':
      return '20200115';
    case 'DT':
      return '20200115123000.000000+0100';
    case 'TM':
      return '123000.25';
    case 'PN':
      return [{ Alphabetic: `Secret^Person${index}` }];
    case 'AS':
      return '045Y';
    case 'DS':
      return 1.5;
    case 'IS':
      return 3;
    case 'US': case 'SS': case 'UL': case 'SL': case 'FL': case 'FD':
      return 7;
    case 'OB': case 'OW': case 'UN':
      return [new Uint8Array([0x53, 0x45, 0x43, 0x52]).buffer];
    default:
      return `SECRET ${keyword}`;
  }
}

function fullDataset(): DicomDataset {
  const ds: DicomDataset = {};
  BASIC_PROFILE.forEach(([tag, keyword, vr], i) => (ds[keyOf(i, tag, keyword)] = valueFor(i, keyword, vr)));
  Object.assign(ds, {
    SOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
    Modality: 'CT',
    Rows: 4,
    ImageType: ['ORIGINAL', 'PRIMARY', 'AXIAL'],
    PixelData: [new ArrayBuffer(8)],
    _vrMap: { PixelData: 'OW' },
    // private attributes (creator and data), curves, overlays in two groups
    '00090010': 'ACME 1.0',
    '00091001': 'SECRET private',
    '00291010': [new Uint8Array([1, 2]).buffer],
    RETIRED_CurveData: [new ArrayBuffer(4)],
    '50020010': 5,
    OverlayData: [new ArrayBuffer(4)],
    OverlayRows: 4,
    OverlayDescription: 'SECRET overlay',
    '60024000': 'SECRET overlay comment',
    // an unlisted sequence whose items hold listed UIDs
    ReferencedSeriesSequence: [{ SeriesInstanceUID: originalUid(BASIC_PROFILE.findIndex((r) => r[1] === 'SeriesInstanceUID')), ReferencedInstanceSequence: [{ ReferencedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2', ReferencedSOPInstanceUID: '1.2.826.0.1.3680043.9.7.9999' }] }],
  });
  return ds;
}

const isEmptyValue = (v: unknown, vr: string) => (vr === 'SQ' ? Array.isArray(v) && v.length === 0 : TEXT_VRS.has(vr) ? v === '' : v instanceof Uint8Array && v.byteLength === 0);

describe('de-identification (PS3.15 Basic Profile)', () => {
  test('the table: one row per attribute, well formed, and the hand-checked rows agree', () => {
    assert.equal(BASIC_PROFILE.length, 617, 'Table E.1-1 (2024b) lists 617 single attributes besides the 4 pattern rows');
    assert.equal(new Set(BASIC_PROFILE.map((r) => r[0])).size, BASIC_PROFILE.length, 'tags are unique');
    assert.equal(new Set(BASIC_PROFILE.map((r) => r[1])).size, BASIC_PROFILE.length, 'keywords are unique');
    for (const [tag, keyword, vr, code] of BASIC_PROFILE) {
      assert.match(tag, /^[0-9A-F]{8}$/, keyword);
      assert.match(keyword, /^[A-Za-z][A-Za-z0-9]*$/, tag);
      assert.match(vr, /^[A-Z]{2}$/, keyword);
      assert.ok(['X', 'Z', 'D', 'U', 'X/Z', 'X/D', 'Z/D', 'X/Z/D', 'X/Z/U*'].includes(code), `${keyword}: ${code}`);
      assert.equal(parseInt(tag.slice(0, 4), 16) % 2, 0, `${keyword} is not private`);
    }
    for (const [tag, keyword, code] of KNOWN) {
      const row = BASIC_PROFILE.find((r) => r[0] === tag);
      assert.ok(row, `${keyword} (${tag}) is in the table`);
      assert.deepEqual([row[1], row[3]], [keyword, code], tag);
    }
    // the Modified Dates option never touches the birth date
    assert.equal(BASIC_PROFILE.find((r) => r[1] === 'PatientBirthDate')![4], undefined);
    assert.equal(BASIC_PROFILE.find((r) => r[1] === 'StudyDate')![4], 'dates');
  });

  test('every attribute of the table is removed, emptied, dummied or given a consistent new UID', () => {
    const input = fullDataset();
    const snapshot = JSON.stringify(input, (_k, v) => (v instanceof ArrayBuffer ? `AB${v.byteLength}` : v));
    const uidMap = new Map<string, string>();
    const { dataset: out, actions, warnings } = deidentifyDataset(input, options, uidMap);
    assert.equal(JSON.stringify(input, (_k, v) => (v instanceof ArrayBuffer ? `AB${v.byteLength}` : v)), snapshot, 'the input is not modified');
    assert.deepEqual(warnings, []);

    BASIC_PROFILE.forEach(([tag, keyword, vr, code], i) => {
      const key = keyOf(i, tag, keyword);
      const value = out[key];
      const where = `${keyword} (${tag}, ${code}, key ${key})`;
      const action = actions.find((a) => a.path === key);
      assert.ok(action, `${where}: an action is recorded`);
      assert.equal(action.rule, code, where);
      const expectUid = () => {
        assert.equal(typeof value, 'string', where);
        assert.equal(value, uidMap.get(originalUid(i)), `${where}: replaced through the map`);
        assert.match(value as string, /^2\.25\.\d+$/, where);
        assert.equal(action.action, 'uid-replaced', where);
      };
      const expectDummy = () => {
        assert.equal(action.action, 'dummy', where);
        if (vr === 'SQ') return assert.deepEqual(value, [{}], where);
        assert.ok(value !== undefined && value !== '', `${where}: a non-empty dummy`);
        if (vr === 'DA') assert.match(value as string, /^\d{8}$/, where);
        if (vr === 'TM') assert.match(value as string, /^\d{6}$/, where);
        if (vr === 'DT') assert.match(value as string, /^\d{14}$/, where);
        if (vr === 'OB' || vr === 'UN') assert.ok(value instanceof Uint8Array && value.byteLength > 0 && value.every((b) => b === 0), where);
      };
      const expectEmpty = () => {
        assert.equal(action.action, 'emptied', where);
        assert.ok(isEmptyValue(value, vr), `${where}: emptied, got ${JSON.stringify(value)}`);
      };
      switch (code) {
        case 'X':
          assert.ok(!(key in out), `${where}: removed`);
          assert.equal(action.action, 'removed', where);
          break;
        case 'Z':
        case 'X/Z':
          expectEmpty();
          break;
        case 'D':
          if (vr === 'UI') expectUid();
          else expectDummy();
          break;
        case 'X/D':
        case 'Z/D':
        case 'X/Z/D':
          if (vr === 'SQ') expectEmpty();
          else expectDummy();
          break;
        case 'U':
          expectUid();
          break;
        case 'X/Z/U*': {
          assert.equal(action.action, 'items-deidentified', where);
          const [item] = value as DicomDataset[];
          assert.deepEqual(item, { PatientName: '', StudyInstanceUID: uidMap.get(`${originalUid(i)}.77`), CodeValue: 'KEEP' }, `${where}: items kept, de-identified inside`);
          break;
        }
      }
    });

    for (const key of ['00090010', '00091001', '00291010', 'RETIRED_CurveData', '50020010', 'OverlayData', 'OverlayRows', 'OverlayDescription', '60024000'])
      assert.ok(!(key in out), `${key} removed`);
    const privates = actions.filter((a) => a.rule === 'private').map((a) => a.path);
    assert.deepEqual(privates.filter((p) => !p.includes('.')).sort(), ['00090010', '00091001', '00291010']);
    assert.ok(privates.some((p) => /^ReferencedImageSequence\[0\]\.00091010$/.test(p)), 'private tags inside kept sequence items go too');
    assert.equal(out.Modality, 'CT');
    assert.equal(out.Rows, 4);
    assert.equal(out.SOPClassUID, '1.2.840.10008.5.1.4.1.1.2', 'class UIDs identify nothing and are kept');
    assert.deepEqual(out._vrMap, { PixelData: 'OW' });
    assert.equal((out.PixelData as ArrayBuffer[])[0]!.byteLength, 8);
    const seriesRef = (out.ReferencedSeriesSequence as DicomDataset[])[0]!;
    const seriesRow = BASIC_PROFILE.findIndex((r) => r[1] === 'SeriesInstanceUID');
    assert.equal(seriesRef.SeriesInstanceUID, out[keyOf(seriesRow, BASIC_PROFILE[seriesRow]![0], 'SeriesInstanceUID')], 'a UID nested in an unlisted sequence maps like the top-level one');
    assert.equal((seriesRef.ReferencedInstanceSequence as DicomDataset[])[0]!.ReferencedSOPInstanceUID, uidMap.get('1.2.826.0.1.3680043.9.7.9999'));

    // added attributes
    assert.equal(out.PatientIdentityRemoved, 'YES');
    assert.equal(out.LongitudinalTemporalInformationModified, 'REMOVED');
    assert.deepEqual((out.DeidentificationMethodCodeSequence as DicomDataset[]).map((c) => `${c.CodingSchemeDesignator}:${c.CodeValue}`), ['DCM:113100']);
    assert.ok(typeof out.DeidentificationMethod === 'string' && out.DeidentificationMethod.length <= 64);

    // nothing of the originals is left anywhere: names, texts, UIDs
    const text = JSON.stringify(out, (_k, v) => (v instanceof Uint8Array || v instanceof ArrayBuffer ? [...new Uint8Array(v instanceof ArrayBuffer ? v : v.buffer)] : v));
    assert.doesNotMatch(text, /SECRET|Secret/);
    assert.doesNotMatch(text, /1\.2\.826\.0\.1\.3680043\.9\.7\./);
    assert.ok(!text.includes('[83,69,67,82]'), 'no original binary value survives');
  });

  test('Modified Dates option: dates move by exactly the offset, intervals and times of day are kept', () => {
    const days = (a: string, b: string) => (Date.UTC(+b.slice(0, 4), +b.slice(4, 6) - 1, +b.slice(6, 8)) - Date.UTC(+a.slice(0, 4), +a.slice(4, 6) - 1, +a.slice(6, 8))) / 86_400_000;
    const input: DicomDataset = {
      StudyDate: '20200115',
      SeriesDate: '20200120',
      ContentDate: '20200229',
      AcquisitionDateTime: '20200120083000.5+0100',
      InstanceCreationDate: '20000101',
      AcquisitionTime: '083000',
      StudyTime: '101500',
      TimezoneOffsetFromUTC: '+0100',
      PatientBirthDate: '19700304',
      FrameAcquisitionDateTime: '2020',
      RETIRED_StudyVerifiedDate: ['20191231', '20200101'],
    };
    for (const shiftDays of [-40, 366, -7305]) {
      const { dataset: out, warnings } = deidentifyDataset(input, { newUid: generator, retainLongitudinalDates: { shiftDays } }, new Map());
      for (const key of ['StudyDate', 'SeriesDate', 'ContentDate', 'InstanceCreationDate']) {
        assert.match(out[key] as string, /^\d{8}$/, key);
        assert.equal(days(input[key] as string, out[key] as string), shiftDays, `${key} shifted by ${shiftDays}`);
      }
      assert.equal(days(out.StudyDate as string, out.SeriesDate as string), 5, 'the study-to-series interval is kept');
      assert.equal((out.AcquisitionDateTime as string).slice(8), '083000.5+0100', 'a DT keeps its time and offset');
      assert.equal(days('20200120', (out.AcquisitionDateTime as string).slice(0, 8)), shiftDays);
      const verified = out.RETIRED_StudyVerifiedDate as string[];
      assert.deepEqual(verified.map((d, i) => days((input.RETIRED_StudyVerifiedDate as string[])[i]!, d)), [shiftDays, shiftDays], 'every value of a multi-valued date');
      assert.equal(out.AcquisitionTime, '083000');
      assert.equal(out.StudyTime, '101500');
      assert.equal(out.TimezoneOffsetFromUTC, '+0100');
      assert.equal(out.PatientBirthDate, '', 'the birth date is not a longitudinal date: emptied, not shifted');
      assert.equal(out.FrameAcquisitionDateTime, '19000101000000', 'a year-only DT cannot be shifted exactly: the basic dummy');
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /FrameAcquisitionDateTime.*could not be shifted/);
      assert.equal(out.LongitudinalTemporalInformationModified, 'MODIFIED');
      assert.deepEqual((out.DeidentificationMethodCodeSequence as DicomDataset[]).map((c) => c.CodeValue), ['113100', '113107']);
    }
    assert.equal(shiftDate('20200229', 1), '20200301');
    assert.equal(shiftDate('20210229', 1), null, 'not a date');
    assert.equal(shiftDate('00010101', -1), null, 'before year 1');
  });

  test('one UID map keeps references consistent across datasets; a new map gives new UIDs', () => {
    const study = '1.2.3.4.5.100';
    const image = { SOPInstanceUID: '1.2.3.4.5.1', StudyInstanceUID: study, SeriesInstanceUID: '1.2.3.4.5.10', FrameOfReferenceUID: '1.2.3.4.5.200' };
    const seg = {
      SOPInstanceUID: '1.2.3.4.5.2',
      StudyInstanceUID: study,
      SeriesInstanceUID: '1.2.3.4.5.20',
      FrameOfReferenceUID: '1.2.3.4.5.200',
      ReferencedSeriesSequence: [{ SeriesInstanceUID: '1.2.3.4.5.10', ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: '1.2.3.4.5.1' }] }],
      SourceImageSequence: [{ ReferencedSOPInstanceUID: '1.2.3.4.5.1\0' }],
    };
    const map = new Map<string, string>();
    const a = deidentifyDataset(image, options, map).dataset;
    const b = deidentifyDataset(seg, options, map).dataset;
    assert.equal(b.StudyInstanceUID, a.StudyInstanceUID);
    assert.equal(b.FrameOfReferenceUID, a.FrameOfReferenceUID);
    assert.notEqual(b.SOPInstanceUID, a.SOPInstanceUID);
    const ref = (b.ReferencedSeriesSequence as DicomDataset[])[0]!;
    assert.equal(ref.SeriesInstanceUID, a.SeriesInstanceUID);
    assert.equal((ref.ReferencedInstanceSequence as DicomDataset[])[0]!.ReferencedSOPInstanceUID, a.SOPInstanceUID);
    assert.equal((b.SourceImageSequence as DicomDataset[])[0]!.ReferencedSOPInstanceUID, a.SOPInstanceUID, 'padding does not make a different UID');
    assert.equal(map.size, 6, 'one entry per distinct original UID');
    const again = deidentifyDataset(image, options, new Map()).dataset;
    assert.notEqual(again.StudyInstanceUID, a.StudyInstanceUID);
  });

  test('pseudonym: PatientName and PatientID become the given values, also when absent', () => {
    const pseudonym = { name: 'CASE^0007', id: 'CASE-0007' };
    const found = deidentifyDataset({ PatientName: [{ Alphabetic: 'Doe^Jane' }], PatientID: 'MRN-123', OtherPatientIDsSequence: [{ PatientID: 'MRN-9' }] }, { ...options, patientPseudonym: pseudonym }, new Map());
    assert.equal(found.dataset.PatientName, 'CASE^0007');
    assert.equal(found.dataset.PatientID, 'CASE-0007');
    assert.equal(found.dataset.OtherPatientIDsSequence, undefined);
    assert.deepEqual(found.patient, { originalId: 'MRN-123', originalName: 'Doe^Jane', newId: 'CASE-0007', newName: 'CASE^0007' });
    const absent = deidentifyDataset({ Modality: 'CT' }, { ...options, patientPseudonym: pseudonym }, new Map()).dataset;
    assert.equal(absent.PatientName, 'CASE^0007');
    assert.equal(absent.PatientID, 'CASE-0007');
    const plain = deidentifyDataset({ PatientName: 'Doe^Jane', PatientID: 'MRN-123' }, options, new Map());
    assert.deepEqual(plain.patient, { originalId: 'MRN-123', originalName: 'Doe^Jane', newId: 'ANONYMIZED', newName: '' });
  });

  test('bad options are refused with a specific error; burned-in annotation is warned about', () => {
    const refuses = (opts: Parameters<typeof deidentifyDataset>[1], message: RegExp) =>
      assert.throws(() => deidentifyDataset({}, opts, new Map()), (err: unknown) => err instanceof DelineateError && err.code === 'invalid_params' && message.test(err.message));
    refuses({ ...options, retainLongitudinalDates: { shiftDays: 1.5 } }, /whole number of days, got 1.5/);
    refuses({ ...options, patientPseudonym: { name: '', id: 'X' } }, /patientPseudonym.name is empty/);
    refuses({ ...options, patientPseudonym: { name: 'A', id: 'x'.repeat(65) } }, /patientPseudonym.id is 65 characters/);
    refuses({ ...options, patientPseudonym: { name: 'A\\B', id: 'X' } }, /backslash/);
    assert.throws(() => deidentifyDataset({ StudyInstanceUID: '1.2' }, { newUid: () => 'not a uid' }, new Map()), /UID generator returned/);
    const { warnings } = deidentifyDataset({ BurnedInAnnotation: 'YES' }, options, new Map());
    assert.match(warnings.join(), /BurnedInAnnotation is YES/);
  });
});
