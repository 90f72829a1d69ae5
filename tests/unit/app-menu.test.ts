import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { MenuItemConstructorOptions } from 'electron';
import { buildAppMenuTemplate, type AppMenuContext } from '../../src/main/electron/app-menu.js';
import { UiCommandSchema, type UiCommand } from '../../src/shared/desktop.js';

function menu(overrides: Partial<AppMenuContext> = {}) {
  const sent: UiCommand[] = [];
  const template = buildAppMenuTemplate({ platform: 'linux', isPackaged: true, dev: false, recent: [], send: (c) => sent.push(c), ...overrides });
  const all: MenuItemConstructorOptions[] = [];
  const walk = (items: MenuItemConstructorOptions[]) => items.forEach((i) => (all.push(i), Array.isArray(i.submenu) && walk(i.submenu)));
  walk(template);
  const byLabel = (label: string) => all.filter((i) => i.label === label);
  /** click an item as Electron would; returns what it sent */
  const click = (item: MenuItemConstructorOptions) => {
    sent.length = 0;
    (item.click as () => void)();
    return [...sent];
  };
  return { template, all, byLabel, click, roles: all.map((i) => i.role).filter(Boolean) };
}

describe('application menu', () => {
  test('every command item has its accelerator and emits its ui.command', () => {
    const m = menu();
    const expected: [string, string | undefined, UiCommand][] = [
      ['Open Files…', 'CmdOrCtrl+O', { command: 'open-files' }],
      ['Open Folder…', 'CmdOrCtrl+Shift+O', { command: 'open-folder' }],
      ['Open Sample Study', undefined, { command: 'open-sample' }],
      ['Settings…', 'CmdOrCtrl+,', { command: 'settings' }],
      ['Save Version', 'CmdOrCtrl+S', { command: 'save-version' }],
      ['Viewer', 'CmdOrCtrl+1', { command: 'view-viewer' }],
      ['Worklist', 'CmdOrCtrl+2', { command: 'view-worklist' }],
      ['Keyboard Shortcuts', 'F1', { command: 'shortcuts' }],
      ['About Delineate', undefined, { command: 'about' }],
      ['Undo', 'CmdOrCtrl+Z', { command: 'undo' }],
    ];
    for (const [label, accelerator, command] of expected) {
      const [item, ...more] = m.byLabel(label);
      assert.ok(item, label);
      assert.equal(more.length, 0, `${label} once`);
      assert.equal(item.accelerator, accelerator, label);
      assert.deepEqual(m.click(item), [command], label);
      UiCommandSchema.parse(command);
    }
    const redo = m.byLabel('Redo');
    assert.deepEqual(redo.map((r) => r.accelerator), ['CmdOrCtrl+Shift+Z', 'Ctrl+Y']);
    for (const r of redo) assert.deepEqual(m.click(r), [{ command: 'redo' }]);
    // the renderer's own shortcuts own Ctrl+Z / Ctrl+Shift+Z (and leave them to text fields)
    assert.equal(m.byLabel('Undo')[0]!.registerAccelerator, false);
    assert.equal(redo[0]!.registerAccelerator, false);
    assert.deepEqual(m.all.filter((i) => i.label === 'Quit').map((i) => [i.role, i.accelerator]), [['quit', 'Ctrl+Q']]);
    // no two registered accelerators collide
    const registered = m.all.filter((i) => i.accelerator && i.registerAccelerator !== false).map((i) => i.accelerator);
    assert.equal(new Set(registered).size, registered.length);
  });

  test('Open Recent lists the recent studies (newest first, at most 10) and opens the one chosen', () => {
    const recent = Array.from({ length: 12 }, (_, i) => ({ studyId: i + 1, patientName: `Patient ${i + 1}`, description: i === 0 ? 'CT & PET' : '', openedAt: '2026-01-01T00:00:00Z' }));
    const m = menu({ recent });
    const items = m.byLabel('Open Recent')[0]!.submenu as MenuItemConstructorOptions[];
    assert.equal(items.length, 10);
    assert.equal(items[0]!.label, 'Patient 1 — CT && PET');
    assert.equal(items[1]!.label, 'Patient 2');
    assert.deepEqual(m.click(items[1]!), [{ command: 'open-recent', studyId: 2 }]);
    const empty = menu().byLabel('Open Recent')[0]!.submenu as MenuItemConstructorOptions[];
    assert.deepEqual(empty.map((i) => [i.label, i.enabled]), [['No recent studies', false]]);
  });

  test('reload only in development, DevTools only when not packaged', () => {
    assert.deepEqual(menu({ isPackaged: true, dev: false }).roles.filter((r) => r === 'reload' || r === 'toggleDevTools'), []);
    assert.deepEqual(menu({ isPackaged: false, dev: true }).roles.filter((r) => r === 'reload' || r === 'toggleDevTools'), ['reload', 'toggleDevTools']);
    assert.deepEqual(menu({ isPackaged: false, dev: false }).roles.filter((r) => r === 'reload' || r === 'toggleDevTools'), ['toggleDevTools']);
  });

  test('macOS: the app menu holds About, Settings and the system roles; no Ctrl+Y item', () => {
    const m = menu({ platform: 'darwin' });
    const appMenu = m.template[0]!;
    assert.equal(appMenu.label, 'Delineate');
    const sub = appMenu.submenu as MenuItemConstructorOptions[];
    assert.deepEqual(sub.map((i) => i.label ?? i.role ?? i.type), ['About Delineate', 'separator', 'Settings…', 'separator', 'services', 'separator', 'hide', 'hideOthers', 'unhide', 'separator', 'quit']);
    assert.deepEqual(m.byLabel('Redo').map((r) => r.accelerator), ['CmdOrCtrl+Shift+Z']);
    assert.ok(m.roles.includes('windowMenu'));
    assert.ok(m.roles.includes('copy') && m.roles.includes('paste'), 'clipboard in text fields needs the Edit roles on macOS');
    assert.equal(m.byLabel('About Delineate').length, 1);
    assert.equal(m.byLabel('Settings…').length, 1);
  });
});
