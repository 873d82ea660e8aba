import { timingSafeEqual } from 'node:crypto';

// One CSP for both the Electron window and the loopback host: only our own code, no remote content,
// no eval. Images may be data:/blob: URLs (thumbnails, masks, canvases built from pixel payloads).
// The WebSocket back to the loopback host is the only connection a page may open.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self' ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The names a page served by the loopback host may use for it. Any other Host header means the
 * request was routed here by a name the attacker controls (DNS rebinding), so it is refused even
 * though it arrived on 127.0.0.1.
 */
export function loopbackHostAllowed(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}

/** Browsers send Origin on WebSocket upgrades: only pages this host served may connect. */
export function loopbackOriginAllowed(origin: string | undefined, port: number): boolean {
  return origin === undefined || origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

/** Constant-time comparison, so the token cannot be guessed byte by byte from response times. */
export function tokenMatches(given: string | null | undefined, token: string): boolean {
  const a = Buffer.from(given ?? '');
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Cookies are scoped by host, not port: two hosts on 127.0.0.1 must not overwrite each other's
 * token, so the port is part of the name.
 */
export function tokenCookieName(port: number): string {
  return `apprentice_token_${port}`;
}

export function cookieValue(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
