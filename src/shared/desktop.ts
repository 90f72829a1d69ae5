/**
 * Desktop integration shared by both hosts: native file pickers, application-menu commands, settings,
 * the about box, recent studies and the bundled sample study. Schemas only; the services live in
 * src/main (settings, about, samples) and src/main/electron (menu, dialogs).
 */
import { z } from 'zod';

/** Why a path is asked for: decides the dialog's kind (file/folder/save) and filters. */
export const PICK_PURPOSES = ['import-files', 'import-folder', 'model-folder', 'mask-file', 'labels-file', 'save-file', 'output-folder'] as const;
export type PickPurpose = (typeof PICK_PURPOSES)[number];

export const PickPathsParamsSchema = z
  .object({
    purpose: z.enum(PICK_PURPOSES),
    /** save-file: the suggested file name */
    defaultName: z.string().max(255).optional(),
    title: z.string().max(200).optional(),
  })
  .strict();
export type PickPathsParams = z.infer<typeof PickPathsParamsSchema>;

export const PickPathsResultSchema = z.object({
  /** false where the host has no native dialog (the browser host): the UI asks for a typed path */
  supported: z.boolean(),
  /** empty when the user cancelled */
  paths: z.array(z.string()),
});
export type PickPathsResult = z.infer<typeof PickPathsResultSchema>;

/** What the application menu (or a second launch) asks the renderer to do. */
export const UI_COMMANDS = [
  'open-files',
  'open-folder',
  'open-recent',
  'open-sample',
  'settings',
  'about',
  'shortcuts',
  'view-viewer',
  'view-worklist',
  'undo',
  'redo',
  'save-version',
] as const;
export type UiCommandName = (typeof UI_COMMANDS)[number];

export const UiCommandSchema = z.object({
  command: z.enum(UI_COMMANDS),
  /** open-recent: the study id */
  studyId: z.number().int().positive().optional(),
});
export type UiCommand = z.infer<typeof UiCommandSchema>;

export const SettingsSchema = z.object({
  /** where the store lives; null = the per-user default. Takes effect at the next start. */
  dataDir: z.string().min(1).max(4096).nullable(),
  /** run models on the GPU when CUDA is present */
  useGpu: z.boolean(),
  /** ONNX Runtime CPU threads; 0 = one per core */
  cpuThreads: z.number().int().min(0).max(256),
  /** who new writes are recorded as; null = the OS account name */
  defaultAuthor: z.string().min(1).max(200).nullable(),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const DEFAULT_SETTINGS: Settings = Object.freeze({ dataDir: null, useGpu: true, cpuThreads: 0, defaultAuthor: null });

/**
 * The settings a settings file's JSON holds: keys a newer version added are ignored, missing ones take
 * their defaults. The one reading of that file for the settings service and the data-dir lookup.
 */
export function parseSettings(raw: unknown): { ok: true; settings: Settings } | { ok: false; problem: string } {
  const isObject = typeof raw === 'object' && raw !== null && !Array.isArray(raw);
  const known: Record<string, unknown> = {};
  if (isObject) for (const key of Object.keys(DEFAULT_SETTINGS)) if (Object.hasOwn(raw, key)) known[key] = (raw as Record<string, unknown>)[key];
  const parsed = SettingsSchema.safeParse(isObject ? { ...DEFAULT_SETTINGS, ...known } : raw);
  if (parsed.success) return { ok: true, settings: parsed.data };
  return { ok: false, problem: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
}

export const SettingsUpdateSchema = SettingsSchema.partial().strict();
export type SettingsUpdate = z.infer<typeof SettingsUpdateSchema>;

export const SettingsInfoSchema = z.object({
  settings: SettingsSchema,
  /** the file they are kept in */
  file: z.string(),
  /** the data directory this process is using now (differs from settings.dataDir until a restart) */
  activeDataDir: z.string(),
  /** settings changed that apply only after a restart */
  restartNeeded: z.array(z.enum(['dataDir'])),
});
export type SettingsInfo = z.infer<typeof SettingsInfoSchema>;

export const AboutInfoSchema = z.object({
  product: z.literal('Delineate'),
  version: z.string(),
  /** runtime and component versions: Electron, Chromium, Node, ONNX Runtime, SQLite, vtk.js, ... */
  components: z.array(z.object({ name: z.string(), version: z.string() })),
  /** third-party components and models shipped, with their license names */
  thirdParty: z.array(z.object({ name: z.string(), version: z.string(), license: z.string(), kind: z.enum(['package', 'model', 'data']) })),
  /** the full THIRD_PARTY_LICENSES text */
  licensesText: z.string(),
  /** where local crash logs are written (nothing is ever uploaded) */
  crashLogDir: z.string(),
});
export type AboutInfo = z.infer<typeof AboutInfoSchema>;

export const RecentStudySchema = z.object({
  studyId: z.number().int(),
  patientName: z.string(),
  description: z.string(),
  openedAt: z.string(),
});
export type RecentStudy = z.infer<typeof RecentStudySchema>;

export const SampleInfoSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  modality: z.string(),
  license: z.string(),
  /** generated by Delineate rather than acquired */
  synthetic: z.boolean(),
  /** the model the first-run flow suggests for it */
  suggestedModelId: z.string().nullable(),
  /** set once imported into this store */
  imported: z.object({ studyId: z.number().int(), seriesId: z.number().int() }).nullable(),
});
export type SampleInfo = z.infer<typeof SampleInfoSchema>;
