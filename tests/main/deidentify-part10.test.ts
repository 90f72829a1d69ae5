// De-identifying real DICOM files (the makeSeries fixture, given identifiers everywhere with pydicom):
// read back with pydicom and dcmdump, no identifier or original UID left anywhere in the bytes, pixel
// data unchanged, references between the files kept; the mapping manifest; refused inputs.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { deidentifyPart10, writeUidMapping } from '../../src/main/interchange/deidentify-part10.js';
import { DelineateError } from '../../src/shared/errors.js';
import { BASIC_PROFILE } from '../../src/shared/interchange/basic-profile.js';
import type { PatientChange } from '../../src/shared/interchange/deidentify.js';
import { DEBIAN_PYTHON, makeSeries, tempDir } from '../helpers/dicom-fixtures.js';

const IDENTIFIERS = ['Doe^Jane', 'MRN-99317', '19640229', 'Elsewhere', 'PHANTOM-1', 'Test^Phantom', 'Dr^Who', 'SECRETNOTE', 'ACC-4711'];

/** Gives the fixture's files identifiers in every corner: nested, private, overlay; file 2 implicit VR, 3 big endian. */
const DECORATE = `
import sys, pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ImplicitVRLittleEndian, ExplicitVRBigEndian
files = sys.argv[1:]
first = pydicom.dcmread(files[0])
for n, f in enumerate(files):
    ds = pydicom.dcmread(f)
    ds.SpecificCharacterSet = 'ISO_IR 100'
    ds.PatientName = 'Doe^Jane'
    ds.PatientID = 'MRN-99317'
    ds.PatientBirthDate = '19640229'
    ds.OtherPatientIDs = 'MRN-99317-OLD'
    ds.InstitutionName = 'St Elsewhere Hospital'
    ds.ReferringPhysicianName = 'Dr^Who'
    ds.AccessionNumber = 'ACC-4711'
    ds.ImageComments = 'SECRETNOTE'
    ds.Manufacturer = 'M\\u00fcller Imaging'
    ds.add_new(0x00280106, 'SS', -500)
    ds.add_new(0x00091010, 'LO', 'Doe^Jane private')
    ds.add_new(0x00090010, 'LO', 'ACME 1.0')
    ds.add_new(0x60000010, 'US', 2)
    ds.add_new(0x60000011, 'US', 2)
    ds.add_new(0x60003000, 'OW', b'\\x01\\x00')
    ds.add_new(0x60000022, 'LO', 'Doe^Jane overlay')
    req = Dataset(); req.RequestedProcedureID = 'ACC-4711'; req.add_new(0x00091001, 'LO', 'Doe^Jane')
    ds.RequestAttributesSequence = Sequence([req])
    ref = Dataset(); ref.ReferencedSOPClassUID = first.SOPClassUID; ref.ReferencedSOPInstanceUID = first.SOPInstanceUID
    ds.ReferencedImageSequence = Sequence([ref])
    ser = Dataset(); ser.SeriesInstanceUID = first.SeriesInstanceUID
    inst = Dataset(); inst.ReferencedSOPClassUID = first.SOPClassUID; inst.ReferencedSOPInstanceUID = first.SOPInstanceUID
    ser.ReferencedInstanceSequence = Sequence([inst])
    ds.ReferencedSeriesSequence = Sequence([ser])
    if n == 1:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        ds.is_implicit_VR = True
    if n == 2:
        ds.file_meta.TransferSyntaxUID = ExplicitVRBigEndian
        ds.is_little_endian = False
    ds.save_as(f, write_like_original=False)
`;

/** What pydicom reads back from each de-identified file, plus the pixels compared with the source. */
const READ_BACK = `
import sys, json, pydicom, numpy as np
out = []
for src, dst in zip(sys.argv[1::2], sys.argv[2::2]):
    a, b = pydicom.dcmread(src), pydicom.dcmread(dst)
    tags = []
    def walk(ds):
        for el in ds:
            tags.append(el.tag)
            if el.VR == 'SQ':
                for item in el.value: walk(item)
    walk(b)
    out.append({
        'transferSyntax': str(b.file_meta.TransferSyntaxUID),
        'mediaSop': str(b.file_meta.MediaStorageSOPInstanceUID),
        'sop': str(b.SOPInstanceUID), 'study': str(b.StudyInstanceUID), 'series': str(b.SeriesInstanceUID), 'for': str(b.FrameOfReferenceUID),
        'origUids': [str(a.SOPInstanceUID), str(a.StudyInstanceUID), str(a.SeriesInstanceUID), str(a.FrameOfReferenceUID)],
        'name': str(b.get('PatientName', 'absent')), 'id': str(b.get('PatientID', 'absent')), 'birth': str(b.get('PatientBirthDate', 'absent')),
        'refSop': str(b.ReferencedImageSequence[0].ReferencedSOPInstanceUID) if 'ReferencedImageSequence' in b else None,
        'refSeries': str(b.ReferencedSeriesSequence[0].SeriesInstanceUID),
        'refSeriesSop': str(b.ReferencedSeriesSequence[0].ReferencedInstanceSequence[0].ReferencedSOPInstanceUID),
        'private': any(t.is_private for t in tags), 'overlay': any(0x6000 <= t.group <= 0x60FF for t in tags),
        'identityRemoved': str(b.PatientIdentityRemoved), 'codes': [str(c.CodeValue) for c in b.DeidentificationMethodCodeSequence],
        'smallest': int(b.SmallestImagePixelValue), 'smallestVr': b[0x00280106].VR, 'pixelVr': b[0x7FE00010].VR,
        'charset': str(b.get('SpecificCharacterSet', '')), 'manufacturer': str(b.Manufacturer),
        'pixelsEqual': bool(np.array_equal(a.pixel_array, b.pixel_array)), 'pixelBytesEqual': bytes(a.PixelData) == bytes(b.PixelData) if a.file_meta.TransferSyntaxUID != '1.2.840.10008.1.2.2' else None,
        'studyDate': str(b.get('StudyDate', 'absent')),
    })
print(json.dumps(out))
`;

describe('DICOM Part 10 de-identification', () => {
  let root: string;
  let files: string[];

  before(() => {
    root = tempDir('deid-part10');
    makeSeries(path.join(root, 'in'), [{ name: 'ct', slices: 3, rows: 6, cols: 5 }]);
    files = fs.readdirSync(path.join(root, 'in', 'ct')).sort().map((f) => path.join(root, 'in', 'ct', f));
    execFileSync(DEBIAN_PYTHON, ['-c', DECORATE, ...files], { stdio: ['ignore', 'ignore', 'inherit'] });
  });
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  test("the table's keywords are the ones dcmjs naturalizes to (or dcmjs does not know the tag and keys it by number)", () => {
    const nameMap = (createRequire(import.meta.url)('dcmjs') as { data: { DicomMetaDictionary: { nameMap: Record<string, { tag: string }> } } }).data.DicomMetaDictionary.nameMap;
    const byTag = new Map(Object.entries(nameMap).map(([name, e]) => [e.tag.replace(/[(),]/g, '').toUpperCase(), name]));
    let known = 0;
    for (const [tag, keyword] of BASIC_PROFILE) {
      const dcmjsName = byTag.get(tag);
      if (dcmjsName === undefined) continue;
      known++;
      assert.equal(dcmjsName.replace(/^RETIRED_/, ''), keyword, `${tag}`);
    }
    assert.ok(known > 550, `dcmjs knows ${known} of the table's ${BASIC_PROFILE.length} attributes`);
  });

  test('identifiers, private and overlay data and original UIDs are gone; pixels and references stay', () => {
    const uidMap = new Map<string, string>();
    const patients = new Map<string, PatientChange>();
    const outputs: string[] = [];
    const supported = files.slice(0, 2); // explicit and implicit VR little endian
    for (const [i, file] of supported.entries()) {
      const result = deidentifyPart10(new Uint8Array(fs.readFileSync(file)), {}, uidMap);
      const out = path.join(root, `out-${i}.dcm`);
      fs.writeFileSync(out, result.bytes);
      outputs.push(out);
      patients.set(result.patient.originalId, result.patient);
      assert.ok(result.actions.some((a) => a.keyword === 'PatientBirthDate' && a.action === 'emptied'));
      assert.ok(result.actions.some((a) => a.rule === 'private' && a.path === 'RequestAttributesSequence.00091001') === false, 'the whole request sequence goes (X), not just its private tag');
    }
    assert.deepEqual([...patients.values()], [{ originalId: 'MRN-99317', originalName: 'Doe^Jane', newId: 'ANONYMIZED', newName: '' }]);

    const read = JSON.parse(execFileSync(DEBIAN_PYTHON, ['-c', READ_BACK, ...supported.flatMap((f, i) => [f, outputs[i]!])], { encoding: 'utf8' })) as Record<string, unknown>[];
    const [first, second] = read as [Record<string, unknown>, Record<string, unknown>];
    for (const r of read) {
      assert.equal(r.transferSyntax, '1.2.840.10008.1.2.1');
      assert.equal(r.mediaSop, r.sop, 'file meta names the new instance');
      assert.equal(r.name, '');
      assert.equal(r.id, 'ANONYMIZED');
      assert.equal(r.birth, '');
      assert.equal(r.private, false);
      assert.equal(r.overlay, false);
      assert.equal(r.identityRemoved, 'YES');
      assert.deepEqual(r.codes, ['113100']);
      assert.equal(r.studyDate, '', 'StudyDate is Z without the dates option');
      assert.equal(r.pixelsEqual, true);
      assert.equal(r.pixelBytesEqual, true);
      assert.equal(r.pixelVr, 'OW');
      assert.equal(r.smallest, -500, 'a signed "US or SS" value stays signed (also from implicit VR)');
      assert.equal(r.smallestVr, 'SS');
      assert.equal(r.charset, 'ISO_IR 192');
      assert.equal(r.manufacturer, 'Müller Imaging', 'kept text is re-encoded as UTF-8 and declared so');
      for (const uid of r.origUids as string[]) for (const field of ['sop', 'study', 'series', 'for']) assert.notEqual(r[field], uid);
    }
    assert.equal(second.study, first.study, 'one study stays one study');
    assert.equal(second.series, first.series);
    assert.equal(second.for, first.for);
    assert.equal(second.refSop, first.sop, 'a reference to the first image follows it');
    assert.equal(first.refSeriesSop, first.sop);
    assert.equal(first.refSeries, first.series);

    const originals = read.flatMap((r) => r.origUids as string[]);
    for (const out of outputs) {
      const bytes = fs.readFileSync(out);
      for (const needle of [...IDENTIFIERS, ...originals]) assert.equal(bytes.includes(Buffer.from(needle)), false, `${path.basename(out)} contains ${needle}`);
      const dump = spawnSync('dcmdump', ['-q', out], { encoding: 'utf8' });
      assert.equal(dump.status, 0, dump.stderr);
      assert.equal(dump.stderr, '', 'dcmdump reads it without complaint');
      assert.match(dump.stdout, /\(0012,0062\) CS \[YES\]/);
    }

    // the mapping manifest, only where asked, never inside the output
    const mapping = path.join(root, 'private', 'mapping.json');
    writeUidMapping(mapping, uidMap, patients, { notInside: path.join(root, 'outputs') });
    const manifest = JSON.parse(fs.readFileSync(mapping, 'utf8')) as { uids: { original: string; replacement: string }[]; patients: PatientChange[] };
    assert.deepEqual(manifest.patients, [...patients.values()]);
    for (const r of read) assert.ok(manifest.uids.some((u) => u.original === (r.origUids as string[])[0] && u.replacement === r.sop));
    assert.equal(fs.statSync(mapping).mode & 0o777, 0o600);
    assert.throws(() => writeUidMapping(path.join(root, 'outputs', 'm.json'), uidMap, patients, { notInside: path.join(root, 'outputs') }), /inside the de-identified output/);
  });

  test('Modified Dates option and pseudonym through a real file', () => {
    const result = deidentifyPart10(new Uint8Array(fs.readFileSync(files[0]!)), { retainLongitudinalDates: { shiftDays: -31 }, patientPseudonym: { name: 'CASE^001', id: 'CASE-001' } }, new Map());
    const out = path.join(root, 'shifted.dcm');
    fs.writeFileSync(out, result.bytes);
    const read = JSON.parse(
      execFileSync(DEBIAN_PYTHON, ['-c', 'import sys,json,pydicom; d=pydicom.dcmread(sys.argv[1]); print(json.dumps([str(d.StudyDate), str(d.StudyTime), str(d.PatientName), str(d.PatientID), [str(c.CodeValue) for c in d.DeidentificationMethodCodeSequence], str(d.LongitudinalTemporalInformationModified)]))', out], { encoding: 'utf8' }),
    ) as unknown[];
    // the fixture's StudyDate is 20260102
    assert.deepEqual(read, ['20251202', '101500', 'CASE^001', 'CASE-001', ['113100', '113107'], 'MODIFIED']);
  });

  test('compressed or big-endian files and non-DICOM bytes are refused with a clear error', () => {
    const refuses = (bytes: Uint8Array, message: RegExp) =>
      assert.throws(() => deidentifyPart10(bytes, {}, new Map()), (err: unknown) => err instanceof DelineateError && err.code === 'invalid_input' && message.test(err.message));
    refuses(new Uint8Array(fs.readFileSync(files[2]!)), /Transfer syntax 1\.2\.840\.10008\.1\.2\.2 is not supported/);
    refuses(new Uint8Array(400), /Not a DICOM Part 10 file/);
  });
});
