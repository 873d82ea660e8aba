/** An error's message for a user-facing report (file + reason), whatever was thrown. */
export function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * An error whose remedy depends on where the user is: a command in a terminal, a tab or button in
 * the app. The message is the terminal's; whatever reports to the app uses `describeForApp`.
 */
export class RemedyError extends Error {
  constructor(
    readonly problem: string,
    readonly remedy: { cli: string; app: string },
  ) {
    super(`${problem}: ${remedy.cli}`);
  }
}

/** An error's message for the app's window: remedies name the tab or button, never a CLI command. */
export function describeForApp(e: unknown): string {
  return e instanceof RemedyError ? `${e.problem}: ${e.remedy.app}` : describe(e);
}
