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
