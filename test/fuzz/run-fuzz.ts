// The import fuzz: mutates the shared DICOM/PNG/JPEG files and imports each mutant through the real
// import path (walk, read, decode process, blobs, one transaction), checking that nothing crashes or
// hangs and that the store holds exactly what was accepted. The files behind a violation are kept
// under test-output/fuzz/ to reproduce it.
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { importImages } from '../../src/main/workspace/import';
import { Workspace } from '../../src/main/workspace/workspace';
import { seededRandom } from '../../src/main/util/random';
import { describe } from '../../src/main/util/errors';
import { outputDir, tempDir } from '../helpers/data';
import { mutate, type Kind, type Seed } from './mutate';
import { loadSeeds } from './seeds';

export interface FuzzOptions {
  minutes: number;
  seed: number;
  /** Per-file limit of the decode process; the whole import of one file gets twice that plus a margin. */
  timeoutS: number;
}

export interface FuzzReport {
  seed: number;
  minutes: number;
  seeds: number;
  files: number;
  /** Files accepted, and the image rows they made (a multi-frame DICOM makes several). */
  imported: number;
  rows: number;
  duplicates: number;
  failedByReason: Record<string, number>;
  crashes: number;
  hangs: number;
  /** The commonest failure texts, digits folded, so a message a user cannot act on stands out. */
  messages: { text: string; count: number }[];
  violations: { file: string; what: string }[];
  kept: string | null;
}

const EXT: Record<Kind, string> = { png: 'png', jpeg: 'jpg', dicom: 'dcm' };
/** A fresh workspace now and then keeps the temp folder small over a long run. */
const FILES_PER_WORKSPACE = 400;
const CHECK_EVERY = 50;

function reasonOf(error: string, kind: Kind): string {
  if (/decoder crashed|ran out of memory/.test(error)) return 'crash';
  if (/took longer than/.test(error)) return 'hang';
  if (/above the limit|too large/.test(error)) return 'limit';
  if (/unrecognised format/.test(error)) return 'unrecognised';
  return `${kind}-invalid`;
}

/** The store holds the accepted files and nothing else: integrity, rows, and blobs both ways. */
function storeProblems(ws: Workspace, expectedRows: number): string[] {
  const problems: string[] = [];
  const integrity = ws.db.pragma('integrity_check', { simple: true });
  if (integrity !== 'ok') problems.push(`integrity_check: ${String(integrity)}`);
  const rows = ws.db.prepare('SELECT source_blob, pixel_blob, thumbnail_blob FROM images').all() as Record<string, string | null>[];
  if (rows.length !== expectedRows) problems.push(`${rows.length} image rows, ${expectedRows} imported`);
  // A DICOM SEG among the mutated files may label frames the import accepted: ground truth of an
  // image in the store is an accepted file's work; a mask of no image, or any split, is not.
  const splits = (ws.db.prepare('SELECT COUNT(*) AS n FROM splits').get() as { n: number }).n;
  if (splits !== 0) problems.push(`${splits} split rows from an import`);
  const orphanMasks = (ws.db.prepare('SELECT COUNT(*) AS n FROM masks WHERE image_id NOT IN (SELECT id FROM images)').get() as { n: number }).n;
  if (orphanMasks !== 0) problems.push(`${orphanMasks} mask rows of no image`);
  const masks = ws.db.prepare('SELECT blob, labelmap_blob FROM masks').all() as Record<string, string | null>[];
  const referenced = new Set([...rows, ...masks].flatMap((r) => Object.values(r).filter((h): h is string => typeof h === 'string')));
  const onDisk = new Set<string>();
  const blobRoot = join(ws.root, 'blobs');
  for (const dir of readdirSync(blobRoot)) {
    for (const name of readdirSync(join(blobRoot, dir))) {
      if (name.endsWith('.tmp')) problems.push(`temporary file left: ${dir}/${name}`);
      else onDisk.add(dir + name);
    }
  }
  for (const h of onDisk) if (!referenced.has(h)) problems.push(`blob ${h} belongs to no image or mask`);
  for (const h of referenced) if (!onDisk.has(h)) problems.push(`blob ${h} is named by an image but missing`);
  return problems;
}

/**
 * Watches from another thread, so a hang that blocks the event loop is caught too: when one file
 * takes longer than `limitS`, it is kept, named on stderr, and the process is killed (exit ≠ 0).
 */
function startWatchdog(limitS: number, keepDir: string): { file(path: string): void; idle(): void; stop(): void } {
  const code = `
    const { workerData, parentPort } = require('node:worker_threads');
    const { copyFileSync, writeSync } = require('node:fs');
    const { join, basename } = require('node:path');
    let current = null, since = 0;
    parentPort.on('message', (m) => { current = m; since = Date.now(); });
    setInterval(() => {
      if (!current || Date.now() - since < workerData.limitS * 1000) return;
      let kept = '';
      try { kept = join(workerData.keepDir, 'hang-' + basename(current)); copyFileSync(current, kept); } catch {}
      writeSync(2, 'fuzz: HANG: importing ' + current + ' took longer than ' + workerData.limitS + ' s; kept as ' + kept + '\\n');
      process.kill(process.pid, 'SIGKILL');
    }, 1000);`;
  const worker = new Worker(code, { eval: true, workerData: { limitS, keepDir } });
  worker.unref();
  return { file: (path) => worker.postMessage(path), idle: () => worker.postMessage(null), stop: () => void worker.terminate() };
}

export async function runFuzz(opts: FuzzOptions, log: (line: string) => void = () => undefined): Promise<FuzzReport> {
  process.env.APPRENTICE_DECODE_TIMEOUT_S = String(opts.timeoutS);
  const random = seededRandom(opts.seed);
  const seeds: Seed[] = loadSeeds();
  const keepDir = outputDir('fuzz');
  const watchdog = startWatchdog(opts.timeoutS * 2 + 30, keepDir);
  const report: FuzzReport = {
    seed: opts.seed,
    minutes: opts.minutes,
    seeds: seeds.length,
    files: 0,
    imported: 0,
    rows: 0,
    duplicates: 0,
    failedByReason: {},
    crashes: 0,
    hangs: 0,
    messages: [],
    violations: [],
    kept: null,
  };
  const messages = new Map<string, number>();
  const root = tempDir('fuzz');
  const inbox = join(root, 'inbox');
  mkdirSync(inbox);
  let wsIndex = 0;
  let ws = Workspace.open(join(root, `ws-${wsIndex}`), { create: true });
  let wsRows = 0;
  let wsFiles = 0;

  const keep = (file: string, what: string) => {
    const kept = join(keepDir, `${opts.seed}-${report.files}-${file.split('/').pop()}`);
    copyFileSync(file, kept);
    report.kept = keepDir;
    report.violations.push({ file: kept, what });
  };
  const checkStore = () => {
    for (const p of storeProblems(ws, wsRows)) report.violations.push({ file: ws.root, what: p });
  };

  const deadline = Date.now() + opts.minutes * 60_000;
  try {
    while (Date.now() < deadline) {
      const seed = seeds[Math.floor(random() * seeds.length)]!;
      const mutant = mutate(seed, seeds, random);
      const file = join(inbox, `${report.files}-${mutant.how}.${EXT[seed.kind]}`);
      writeFileSync(file, mutant.bytes);
      report.files++;
      wsFiles++;
      watchdog.file(file);
      const before = wsRows;
      try {
        const r = await importImages(ws, { paths: [file] });
        const rows = (ws.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;
        wsRows += r.imported;
        if (rows !== wsRows) keep(file, `the store gained ${rows - before} image rows, the import reported ${r.imported}`);
        if (r.imported > 0) {
          report.imported++;
          report.rows += r.imported;
        } else if (r.duplicates > 0) report.duplicates++;
        for (const f of r.failed) {
          const reason = reasonOf(f.error, seed.kind);
          report.failedByReason[reason] = (report.failedByReason[reason] ?? 0) + 1;
          const text = f.error.replace(/\d+/g, 'N');
          messages.set(text, (messages.get(text) ?? 0) + 1);
          if (reason === 'crash') report.crashes++;
          if (reason === 'hang') report.hangs++;
          if (reason === 'crash' || reason === 'hang') keep(file, `${seed.name} (${mutant.how}): ${f.error}`);
        }
      } catch (e) {
        keep(file, `the import itself threw: ${describe(e)}`);
      }
      watchdog.idle();
      rmSync(file, { force: true });
      if (wsFiles % CHECK_EVERY === 0) checkStore();
      if (wsFiles >= FILES_PER_WORKSPACE) {
        checkStore();
        ws.close();
        rmSync(ws.root, { recursive: true, force: true });
        ws = Workspace.open(join(root, `ws-${++wsIndex}`), { create: true });
        wsRows = 0;
        wsFiles = 0;
      }
      if (report.files % 200 === 0) log(`fuzz: ${report.files} files, ${report.imported} imported, ${report.violations.length} violations`);
    }
    checkStore();
  } finally {
    watchdog.stop();
    ws.close();
    rmSync(root, { recursive: true, force: true });
  }
  report.messages = [...messages]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 20)
    .map(([text, count]) => ({ text, count }));
  return report;
}
