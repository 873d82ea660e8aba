/** A positive number from the environment variable `name`, or null when it is unset, empty or not one. */
export function positiveEnv(name: string, env: NodeJS.ProcessEnv = process.env): number | null {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? v : null;
}
