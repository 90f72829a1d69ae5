#!/usr/bin/python3
"""Synthetic CT series for the import benchmark: ROWS×COLS×SLICES int16 HU-like slices, explicit VR LE.
Usage: make_ct_series.py OUT_DIR [ROWS COLS SLICES]"""
import os, sys
import numpy as np
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

out = sys.argv[1]
rows, cols, slices = (int(v) for v in sys.argv[2:5]) if len(sys.argv) >= 5 else (512, 512, 600)
os.makedirs(out, exist_ok=True)
study, series, frame = generate_uid(), generate_uid(), generate_uid()
yy, xx = np.mgrid[0:rows, 0:cols]
body = ((xx - cols / 2) ** 2 / (cols * 0.4) ** 2 + (yy - rows / 2) ** 2 / (rows * 0.35) ** 2) < 1
for k in range(slices):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian, ds.is_implicit_VR = True, False
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = study, series, frame
    ds.PatientName, ds.PatientID, ds.Modality = "Bench^CT", "BENCH", "CT"
    ds.StudyDate, ds.SeriesDescription, ds.SeriesNumber, ds.InstanceNumber = "20260101", "bench ct", 1, k + 1
    ds.Rows, ds.Columns, ds.PixelSpacing, ds.SliceThickness = rows, cols, ["0.7", "0.7"], "1.0"
    ds.ImagePositionPatient = ["-179.2", "-179.2", f"{-300 + k * 1.0:.1f}"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.RescaleSlope, ds.RescaleIntercept = "1", "-1024"
    img = np.where(body, 1024 + 40 + ((xx + yy + k) % 64), 24).astype(np.uint16)
    ds.PixelData = img.tobytes()
    ds.save_as(os.path.join(out, f"CT{k:04d}.dcm"), write_like_original=False)
