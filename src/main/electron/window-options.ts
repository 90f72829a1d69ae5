import type { BrowserWindowConstructorOptions } from 'electron';

/** The renderer's origin inside Electron: a privileged custom scheme serving dist/renderer. */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://delineate`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Window options in one pure function (no electron import at run time) so tests can assert every
 * security-relevant setting without loading Electron.
 */
export function mainWindowOptions(preloadPath: string): BrowserWindowConstructorOptions {
  return {
    width: 1600,
    height: 1000,
    minWidth: 960,
    minHeight: 600,
    backgroundColor: '#121417',
    title: 'Delineate',
    show: false,
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
    },
  };
}

/** Only our own top-level document may call the contract. */
export function isTrustedSenderUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}
