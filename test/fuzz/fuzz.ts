// `npm run fuzz -- --minutes N [--seed S] [--timeout S] [--json]`: the import fuzz (run-fuzz.ts) from
// the command line. Progress goes to stderr; with --json, stdout is exactly one JSON report.
// Exits 1 on any violation.
import { runFuzz, type FuzzOptions } from './run-fuzz';

function parseArgs(argv: string[]): FuzzOptions & { json: boolean } {
  const value = (name: string, fallback: number): number => {
    const i = argv.indexOf(name);
    if (i < 0) return fallback;
    const v = Number(argv[i + 1]);
    if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} wants a positive number, got ${argv[i + 1] ?? 'nothing'}`);
    return v;
  };
  return {
    minutes: value('--minutes', 2),
    seed: Math.floor(value('--seed', Date.now() % 1e9)),
    timeoutS: value('--timeout', 20),
    json: argv.includes('--json'),
  };
}

async function main(): Promise<void> {
  const { json, ...opts } = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stderr.write(line + '\n');
  log(`fuzz: ${opts.minutes} min, seed ${opts.seed} (replay with --seed ${opts.seed})`);
  const report = await runFuzz(opts, log);
  if (json) process.stdout.write(JSON.stringify(report) + '\n');
  else {
    log(
      `fuzz: ${report.files} files from ${report.seeds} seeds: ${report.imported} imported (${report.rows} rows), ${report.duplicates} duplicates`,
    );
    log(`fuzz: failed by reason: ${JSON.stringify(report.failedByReason)}; crashes ${report.crashes}, hangs ${report.hangs}`);
    for (const m of report.messages) log(`  ${String(m.count).padStart(6)}  ${m.text}`);
    for (const v of report.violations) log(`fuzz: VIOLATION: ${v.what} (${v.file})`);
    log(report.violations.length === 0 ? 'fuzz: ok' : `fuzz: ${report.violations.length} violations`);
  }
  process.exitCode = report.violations.length === 0 ? 0 : 1;
}

await main();
