/**
 * host.pickPaths in the desktop app: the native open/save dialog for each purpose, and a grant for
 * what the user picked (src/main/electron/path-grants.ts). Electron's dialog is passed in, so tests
 * drive this with plain functions.
 */
import type { OpenDialogOptions, SaveDialogOptions } from 'electron';
import type { PickPathsParams, PickPathsResult, PickPurpose } from '../../shared/desktop.js';
import type { HostPathAccess } from '../../shared/host-paths.js';
import type { PathGrants } from './path-grants.js';

export type DialogRequest =
  | { kind: 'open'; options: OpenDialogOptions; access: HostPathAccess; tree: boolean }
  | { kind: 'save'; options: SaveDialogOptions; access: 'write'; tree: false };

const ALL_FILES = { name: 'All files', extensions: ['*'] };

const OPEN: Record<Exclude<PickPurpose, 'save-file'>, { title: string; properties: OpenDialogOptions['properties']; filters?: OpenDialogOptions['filters']; access: HostPathAccess; tree: boolean }> = {
  // DICOM files often have no extension: "All files" comes first
  'import-files': { title: 'Open files', properties: ['openFile', 'multiSelections'], filters: [ALL_FILES, { name: 'DICOM, NIfTI, ZIP', extensions: ['dcm', 'ima', 'nii', 'gz', 'zip'] }], access: 'read', tree: false },
  'import-folder': { title: 'Open folder', properties: ['openDirectory', 'multiSelections'], access: 'read', tree: true },
  'model-folder': { title: 'Choose a model package folder', properties: ['openDirectory'], access: 'read', tree: true },
  'mask-file': { title: 'Choose a mask (DICOM SEG, RTSTRUCT or NIfTI)', properties: ['openFile'], filters: [{ name: 'Masks', extensions: ['dcm', 'nii', 'gz'] }, ALL_FILES], access: 'read', tree: false },
  'labels-file': { title: 'Choose a labels JSON', properties: ['openFile'], filters: [{ name: 'Labels JSON', extensions: ['json'] }, ALL_FILES], access: 'read', tree: false },
  'output-folder': { title: 'Choose an output folder', properties: ['openDirectory', 'createDirectory', 'promptToCreate'], access: 'write', tree: true },
};

/** The dialog to show for a pickPaths request. */
export function dialogRequestFor(params: PickPathsParams): DialogRequest {
  if (params.purpose === 'save-file') {
    const options: SaveDialogOptions = { title: params.title ?? 'Save as', properties: ['createDirectory', 'showOverwriteConfirmation'] };
    if (params.defaultName) options.defaultPath = params.defaultName;
    return { kind: 'save', options, access: 'write', tree: false };
  }
  const spec = OPEN[params.purpose];
  const options: OpenDialogOptions = { title: params.title ?? spec.title, properties: spec.properties };
  if (spec.filters) options.filters = spec.filters;
  return { kind: 'open', options, access: spec.access, tree: spec.tree };
}

export interface DialogFunctions {
  showOpen(options: OpenDialogOptions): Promise<{ canceled: boolean; filePaths: string[] }>;
  showSave(options: SaveDialogOptions): Promise<{ canceled: boolean; filePath?: string }>;
}

/** The ServicesOptions.desktop.pickPaths of the Electron host: shows the dialog, grants what was picked. */
export function createPathPicker(dialogs: DialogFunctions, grants: PathGrants): (params: PickPathsParams) => Promise<PickPathsResult> {
  return async (params) => {
    const request = dialogRequestFor(params);
    let paths: string[];
    if (request.kind === 'save') {
      const answer = await dialogs.showSave(request.options);
      paths = answer.canceled || !answer.filePath ? [] : [answer.filePath];
    } else {
      const answer = await dialogs.showOpen(request.options);
      paths = answer.canceled ? [] : answer.filePaths;
    }
    return { supported: true, paths: paths.map((p) => grants.grant(p, request.access, request.tree).path) };
  };
}
