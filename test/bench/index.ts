// `npm run bench -- <name> [--json] [options]`: heavy measurements kept out of the timed tests.
// Each bench module exports `run(args: string[], json: boolean): Promise<Record<string, unknown>>`;
// with --json exactly one JSON object is printed on stdout (human notes go to stderr).

type Bench = { run: (args: string[], json: boolean) => Promise<Record<string, unknown>> };

const BENCHES = ['student', 'teacher', 'mining', 'kvasir', 'kvasir-grid', 'import', 'soak', 'interactive', 'torch-agreement'];

const [which, ...rest] = process.argv.slice(2);
const json = rest.includes('--json');
const args = rest.filter((a) => a !== '--json');
if (!which || !BENCHES.includes(which)) {
  process.stderr.write(`usage: npm run bench -- <${BENCHES.join('|')}> [--json] [options]\n`);
  process.exit(2);
}
const bench = (await import(`./${which}.ts`)) as Bench;
const result = await bench.run(args, json);
process.stdout.write(
  json
    ? JSON.stringify(result) + '\n'
    : Object.entries(result)
        .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join('\n') + '\n',
);

export {};
