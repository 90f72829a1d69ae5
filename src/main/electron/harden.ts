/**
 * Electron main-process hardening as small functions over minimal structural interfaces, so tests
 * drive them with real EventEmitters and plain objects (Electron itself cannot be loaded in tests).
 * main.ts applies them to every WebContents and to the default session.
 */
import { APP_ORIGIN, isTrustedSenderUrl } from './window-options.js';

/** An event whose default action can be refused. */
export interface PreventableEvent {
  preventDefault(): void;
}

/**
 * The part of Electron's WebContents that hardening uses (an EventEmitter: `on` is typed loosely so
 * that Electron's overloads and a plain EventEmitter in tests both fit).
 */
export interface HardenableContents {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
}

/**
 * No navigation away from the app (links, redirects, subframes to anything but an inline document),
 * no <webview>, no new windows. The app is a single page: it never navigates, so every attempt is
 * refused rather than filtered.
 */
export function hardenContents(contents: HardenableContents): void {
  const refuse = (event: PreventableEvent) => event.preventDefault();
  contents.on('will-navigate', refuse);
  contents.on('will-frame-navigate', (event: PreventableEvent & { url: string; isMainFrame: boolean }) => {
    if (!allowFrameNavigation(event.url, event.isMainFrame)) event.preventDefault();
  });
  contents.on('will-redirect', refuse);
  contents.on('will-attach-webview', refuse);
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/**
 * The only navigation the app makes itself: a subframe showing an inline document (the agreement
 * report is shown in a sandboxed <iframe srcdoc>). The main frame never navigates.
 */
export function allowFrameNavigation(url: string, isMainFrame: boolean): boolean {
  return !isMainFrame && (url === 'about:srcdoc' || url === 'about:blank');
}

/** The part of Electron's Session that hardening uses. */
export interface HardenableSession {
  setPermissionRequestHandler(handler: ((contents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void) | null): void;
  setPermissionCheckHandler(handler: ((contents: unknown, permission: string, origin: string, details: unknown) => boolean) | null): void;
  setDevicePermissionHandler(handler: ((details: unknown) => boolean) | null): void;
  setDisplayMediaRequestHandler(handler: ((request: unknown, callback: (streams: Record<string, never>) => void) => void) | null): void;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on(event: string, listener: (...args: any[]) => void): unknown;
  webRequest: {
    onBeforeRequest(listener: ((details: { url: string }, callback: (response: { cancel: boolean }) => void) => void) | null): void;
  };
}

/**
 * Every permission (camera, notifications, clipboard-read, HID, serial, display capture, ...) is denied,
 * on request and on check; downloads are refused; and only requests for our own app:// origin (plus
 * data:, blob: and the DevTools) leave the renderer, so no remote content is ever loaded.
 */
export function hardenSession(session: HardenableSession): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  session.setDisplayMediaRequestHandler((_request, callback) => callback({}));
  session.on('will-download', (event: PreventableEvent) => event.preventDefault());
  session.webRequest.onBeforeRequest((details, callback) => callback({ cancel: !isAllowedRequestUrl(details.url) }));
}

/** Schemes a renderer request may use besides our own origin. */
const LOCAL_SCHEMES = new Set(['data:', 'blob:', 'devtools:']);

/** Only our own app:// origin and in-memory or DevTools URLs; http(s), ws(s), file, ftp, ... are cancelled. */
export function isAllowedRequestUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (LOCAL_SCHEMES.has(parsed.protocol)) return true;
  return `${parsed.protocol}//${parsed.host}` === APP_ORIGIN;
}

/** The part of an IpcMainInvokeEvent / IpcMainEvent that sender validation uses. */
export interface IpcSenderEvent {
  readonly senderFrame: { readonly url: string; readonly parent: unknown } | null;
  readonly sender: { readonly mainFrame: unknown };
}

/**
 * A contract call is accepted only from the top-level document of our own origin: not from a subframe
 * (even one of our origin, e.g. a report shown in an iframe) and not from a frame that navigated away.
 */
export function isTrustedSender(event: IpcSenderEvent): boolean {
  const frame = event.senderFrame;
  if (!frame) return false;
  if (frame.parent !== null) return false;
  if (frame !== event.sender.mainFrame) return false;
  return isTrustedSenderUrl(frame.url);
}
