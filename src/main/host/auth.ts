import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const newToken = (): string => randomBytes(24).toString('base64url');

export function tokenCookieName(port: number): string {
  // Cookies are shared across ports of one host: name it per port so two hosts never mix tokens.
  return `delineate_token_${port}`;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token from ?token= or the per-port cookie; true when it matches. */
export function requestHasToken(req: IncomingMessage, url: URL, token: string, port: number): boolean {
  const fromQuery = url.searchParams.get('token');
  if (fromQuery !== null) return safeEqual(fromQuery, token);
  const cookie = parseCookies(req.headers.cookie)[tokenCookieName(port)];
  return cookie !== undefined && safeEqual(cookie, token);
}

function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

/** The origins and Host headers this host answers to (guards against DNS rebinding and foreign pages). */
export function ownAuthorities(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function isOwnOrigin(origin: string | undefined, port: number): boolean {
  return origin !== undefined && ownAuthorities(port).some((a) => origin === `http://${a}`);
}

export function isOwnHost(host: string | undefined, port: number): boolean {
  return host !== undefined && ownAuthorities(port).includes(host.toLowerCase());
}
