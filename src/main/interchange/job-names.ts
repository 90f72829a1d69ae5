/** Job types of the interchange services (registered in app-services.ts). */
export const EXPORT_MASK_JOB = 'export.mask';
export const EXPORT_DATASET_JOB = 'export.dataset';
export const IMPORT_MASK_JOB = 'masks.import';
