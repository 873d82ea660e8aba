/** An error's message for a user-facing report (file + reason), whatever was thrown. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
