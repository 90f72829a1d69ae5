/**
 * A bundled sample study on disk: <samples dir>/<id>/sample.json (this schema), LICENSE.txt, and the
 * images under <id>/<imagesDir>/ (a DICOM series). Written at build time by scripts/make-sample.mjs.
 */
import { z } from 'zod';

export const SAMPLE_FILE = 'sample.json';
export const SAMPLE_LICENSE_FILE = 'LICENSE.txt';

export const SampleManifestSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/),
  title: z.string().min(1),
  description: z.string(),
  modality: z.string().min(1),
  /** an SPDX identifier */
  license: z.string().min(1),
  synthetic: z.boolean(),
  suggestedModelId: z.string().nullable(),
  /** the folder (relative to the sample's) an import reads */
  imagesDir: z.string().min(1),
  studyInstanceUid: z.string().min(1),
  seriesInstanceUid: z.string().min(1),
  /** where the data came from, or how it was generated */
  provenance: z.record(z.string(), z.unknown()),
  /** changes when the writer would write something else: the build step skips an up-to-date sample */
  buildStamp: z.string(),
});
export type SampleManifest = z.infer<typeof SampleManifestSchema>;
