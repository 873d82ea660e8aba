import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// Persistence lives behind src/main/workspace/: its stores own every table and every blob. Anywhere
// else, touching the database handle, writing SQL, or reaching into the blob store (to write,
// rename into, delete or even locate a blob) is a leak of that boundary.

const SRC = join(__dirname, '../../src');
const WORKSPACE = join(SRC, 'main', 'workspace') + sep;

interface Rule {
  name: string;
  pattern: RegExp;
}

const RULES: Rule[] = [
  // The raw better-sqlite3 handle, however it is reached (`ws.db`, `this.db`, a destructured `db`).
  { name: 'statement on the raw database', pattern: /\bdb\s*\.\s*(?:prepare|exec|pragma|transaction)\s*\(/ },
  { name: 'the workspace database handle', pattern: /\.\s*db\b(?!\s*:)/ },
  { name: 'better-sqlite3 loaded', pattern: /(?:\bfrom\s*|\b(?:import|require)\s*\(\s*)['"]better-sqlite3['"]/ },
  // SQL text handed to a store from outside would be the same leak in another shape.
  {
    name: 'SQL statement text',
    pattern: /[`'"]\s*(?:SELECT\s[\s\S]*?\sFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TABLE|INDEX)|PRAGMA)\s/,
  },
  // The blob store: every write, rename into it, deletion and path of a blob goes through a store.
  { name: 'the workspace blob store', pattern: /\.\s*blobs\b|\bBlobStore\b/ },
  { name: 'a path into blobs/', pattern: /['"`]blobs['"`/]/ },
];

function violations(source: string): string[] {
  // Comments may talk about SQL and blobs; only code counts.
  const code = source.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  code.split('\n').forEach((line, i) => {
    for (const r of RULES) if (r.pattern.test(line)) found.push(`${i + 1}: ${r.name}: ${line.trim()}`);
  });
  // A statement split over lines (`ws.db\n  .prepare(`) is caught on the joined text.
  const joined = code.replace(/\s*\n\s*/g, ' ');
  if (found.length === 0 && RULES[0]!.pattern.test(joined)) found.push(`statement on the raw database (over several lines)`);
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|mts|cts|js|mjs|svelte)$/.test(e.name) ? [p] : [];
  });
}

describe('persistence boundary', () => {
  it('recognises SQL and blob access, and not look-alikes', () => {
    expect(violations(`const r = ws.db.prepare('SELECT 1').get();`)).not.toEqual([]);
    expect(violations(`const info = ws.db\n  .prepare('x')\n  .run();`)).not.toEqual([]);
    expect(violations(`db.exec(MIGRATIONS[0]);`)).not.toEqual([]);
    expect(violations(`this.db.pragma('journal_mode = WAL');`)).not.toEqual([]);
    expect(violations(`ws.db.transaction(() => 1)();`)).not.toEqual([]);
    expect(violations(`store(ws, \`SELECT id FROM images\`);`)).not.toEqual([]);
    expect(violations(`const sql = "UPDATE runs SET status = 'done'";`)).not.toEqual([]);
    expect(violations(`import Database from 'better-sqlite3';`)).not.toEqual([]);
    expect(violations(`const h = ws.blobs.put(bytes);`)).not.toEqual([]);
    expect(violations(`rmSync(ws.blobs.path(hash), { force: true });`)).not.toEqual([]);
    expect(violations(`writeFileSync(join(ws.root, 'blobs', 'ab', rest), bytes);`)).not.toEqual([]);
    expect(violations(`await putFileStreaming(store as BlobStore, file);`)).not.toEqual([]);

    expect(violations(`const m = /^1\\.2\\.(\\d+)$/.exec(syntax);`)).toEqual([]);
    expect(violations(`const m = PNG_DATA_URL.exec(dataUrl);`)).toEqual([]);
    expect(violations(`// ws.db.prepare('SELECT 1') is what the store does`)).toEqual([]);
    expect(violations(`/** blobs are written by the store: ws.blobs.put */`)).toEqual([]);
    expect(violations(`const label = 'Select an image from the list';`)).toEqual([]);
    expect(violations(`const shape = { db: 3 };`)).toEqual([]);
    expect(violations(`writeFileAtomic(join(dir, 'results.md'), bytes);`)).toEqual([]);
    expect(violations(`packages[p] = packageVersion('better-sqlite3');`)).toEqual([]);
  });

  it('finds SQL and blob writes only in src/main/workspace/', () => {
    const leaks = sourceFiles(SRC)
      .filter((f) => !f.startsWith(WORKSPACE))
      .flatMap((f) => violations(readFileSync(f, 'utf8')).map((v) => `${relative(SRC, f)}:${v}`));
    expect(leaks).toEqual([]);
  });
});
