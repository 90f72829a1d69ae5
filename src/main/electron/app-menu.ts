/**
 * The application menu as a pure function of its inputs (platform, packaged or not, recent studies),
 * so tests check every accelerator and command without Electron. Each item asks the renderer to act
 * through the contract's 'ui.command' event (main.ts passes send = services.bus.emit('ui.command')).
 */
import type { MenuItemConstructorOptions } from 'electron';
import type { RecentStudy, UiCommand, UiCommandName } from '../../shared/desktop.js';

export interface AppMenuContext {
  platform: NodeJS.Platform;
  /** app.isPackaged: no DevTools in a packaged build */
  isPackaged: boolean;
  /** development run (not packaged): the Reload item */
  dev: boolean;
  /** newest first; the first 10 are listed */
  recent: readonly RecentStudy[];
  send(command: UiCommand): void;
}

export const RECENT_IN_MENU = 10;

/** Windows and Linux treat & in a label as a mnemonic marker. */
const menuText = (text: string): string => text.replace(/&/g, '&&');

export function buildAppMenuTemplate(ctx: AppMenuContext): MenuItemConstructorOptions[] {
  const mac = ctx.platform === 'darwin';
  const command = (label: string, name: UiCommandName, accelerator?: string, extra: MenuItemConstructorOptions = {}): MenuItemConstructorOptions => ({
    label,
    id: name,
    ...(accelerator ? { accelerator } : {}),
    ...extra,
    click: () => ctx.send({ command: name }),
  });
  const separator: MenuItemConstructorOptions = { type: 'separator' };

  const recent: MenuItemConstructorOptions[] = ctx.recent.length
    ? ctx.recent.slice(0, RECENT_IN_MENU).map((r) => ({
        label: menuText([r.patientName || 'Unnamed patient', r.description].filter(Boolean).join(' — ')),
        id: `open-recent-${r.studyId}`,
        click: () => ctx.send({ command: 'open-recent', studyId: r.studyId }),
      }))
    : [{ label: 'No recent studies', enabled: false }];

  const settings = command('Settings…', 'settings', 'CmdOrCtrl+,');
  const about = command('About Delineate', 'about');

  const template: MenuItemConstructorOptions[] = [];
  if (mac) {
    // macOS: the app menu (named after the app) holds About, Settings and the system roles
    template.push({
      label: 'Delineate',
      submenu: [about, separator, settings, separator, { role: 'services' }, separator, { role: 'hide' }, { role: 'hideOthers' }, { role: 'unhide' }, separator, { role: 'quit' }],
    });
  }
  template.push({
    label: '&File',
    submenu: [
      command('Open Files…', 'open-files', 'CmdOrCtrl+O'),
      command('Open Folder…', 'open-folder', 'CmdOrCtrl+Shift+O'),
      { label: 'Open Recent', id: 'open-recent', submenu: recent },
      command('Open Sample Study', 'open-sample'),
      separator,
      ...(mac ? [{ role: 'close' } as MenuItemConstructorOptions] : [settings, separator, { role: 'quit', label: 'Quit', accelerator: 'Ctrl+Q' } as MenuItemConstructorOptions]),
    ],
  });
  template.push({
    label: '&Edit',
    submenu: [
      // the renderer handles Ctrl+Z / Ctrl+Shift+Z itself (and leaves them to text fields): shown here, not registered
      command('Undo', 'undo', 'CmdOrCtrl+Z', { registerAccelerator: false }),
      command('Redo', 'redo', 'CmdOrCtrl+Shift+Z', { registerAccelerator: false }),
      ...(mac ? [] : [command('Redo', 'redo', 'Ctrl+Y', { id: 'redo-ctrl-y', visible: false, acceleratorWorksWhenHidden: true })]),
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      { role: 'selectAll' },
      separator,
      command('Save Version', 'save-version', 'CmdOrCtrl+S'),
    ],
  });
  template.push({
    label: '&View',
    submenu: [
      command('Viewer', 'view-viewer', 'CmdOrCtrl+1'),
      command('Worklist', 'view-worklist', 'CmdOrCtrl+2'),
      separator,
      ...(ctx.dev ? [{ role: 'reload' } as MenuItemConstructorOptions] : []),
      ...(ctx.isPackaged ? [] : [{ role: 'toggleDevTools' } as MenuItemConstructorOptions]),
      { role: 'togglefullscreen' },
    ],
  });
  if (mac) template.push({ role: 'windowMenu' });
  template.push({
    label: '&Help',
    role: 'help',
    submenu: [command('Keyboard Shortcuts', 'shortcuts', 'F1'), ...(mac ? [] : [separator, about])],
  });
  return template;
}
