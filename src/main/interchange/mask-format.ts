/** Which kind of mask a file holds: NIfTI by its name, DICOM SEG or RTSTRUCT by its SOP Class. */
import fs from 'node:fs';
import path from 'node:path';
import { DelineateError } from '../../shared/errors.js';
import { hasDicomPreamble, parseDicomHeader } from '../studies/dicom/dcmjs-reader.js';

export const SEGMENTATION_STORAGE_UID = '1.2.840.10008.5.1.4.1.1.66.4';
export const RT_STRUCTURE_SET_STORAGE_UID = '1.2.840.10008.5.1.4.1.1.481.3';

export type MaskFileFormat = 'seg' | 'rtstruct' | 'nifti';

export function maskFileFormat(file: string): MaskFileFormat {
  if (/\.nii(\.gz)?$/i.test(file)) return 'nifti';
  const name = path.basename(file);
  // the SOP Class is near the start: 64 KiB holds the file meta and the first elements
  const fd = fs.openSync(file, 'r');
  const head = new Uint8Array(64 * 1024);
  let length: number;
  try {
    length = fs.readSync(fd, head, 0, head.byteLength, 0);
  } finally {
    fs.closeSync(fd);
  }
  const bytes = head.subarray(0, length);
  if (!hasDicomPreamble(bytes)) throw new DelineateError('invalid_input', `${name} is neither NIfTI (.nii, .nii.gz) nor DICOM (no "DICM" marker at byte 128)`);
  let sopClass = '';
  try {
    sopClass = String(parseDicomHeader(bytes).dataset.SOPClassUID ?? '');
  } catch {
    // a truncated read can stop dcmjs; the file meta names the class too
    const text = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
    sopClass = [SEGMENTATION_STORAGE_UID, RT_STRUCTURE_SET_STORAGE_UID].find((uid) => text.includes(uid)) ?? '';
  }
  if (sopClass === SEGMENTATION_STORAGE_UID) return 'seg';
  if (sopClass === RT_STRUCTURE_SET_STORAGE_UID) return 'rtstruct';
  throw new DelineateError('invalid_input', `${name} is DICOM but not a Segmentation or RT Structure Set (SOP Class ${sopClass || 'missing'})`);
}
