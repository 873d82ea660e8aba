import { createRequire } from 'node:module';
import type { Doctor } from '../../shared/contract';
import { appVersion } from '../util/package-root';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function loads(name: string): string | null {
  try {
    require(name);
    return null;
  } catch (e) {
    return e instanceof Error ? e.message.split('\n')[0]! : String(e);
  }
}

/** What this machine can run: versions, and which student backends and teacher providers load. */
export function doctor(): Doctor {
  const packages: Record<string, string | null> = {};
  for (const p of [
    '@tensorflow/tfjs',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-node',
    '@tensorflow/tfjs-node-gpu',
    'onnxruntime-node',
    'better-sqlite3',
    'dicom-parser',
    'electron',
  ])
    packages[p] = packageVersion(p);

  const studentNotes: string[] = [];
  const studentUsable: string[] = [];
  for (const [backend, pkg] of [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
  ] as const) {
    if (!packages[pkg]) {
      studentNotes.push(`${backend}: ${pkg} is not installed`);
      continue;
    }
    const err = loads(pkg);
    if (err) studentNotes.push(`${backend}: ${pkg} does not load (${err})`);
    else studentUsable.push(backend);
  }
  if (packages['@tensorflow/tfjs-backend-wasm']) studentUsable.push('wasm');
  studentUsable.push('cpu');

  const teacherNotes: string[] = [];
  const teacherUsable: string[] = [];
  const ortErr = loads('onnxruntime-node');
  if (ortErr) teacherNotes.push(`onnxruntime-node does not load: ${ortErr}`);
  else {
    const ort = require('onnxruntime-node') as { listSupportedBackends?: () => { name: string }[] };
    const backends = ort.listSupportedBackends?.().map((b) => b.name) ?? ['cpu'];
    if (backends.includes('cuda')) teacherUsable.push('cuda');
    else teacherNotes.push('cuda: not in this onnxruntime-node build (install with --onnxruntime-node-install=cuda12, see README)');
    teacherUsable.push('cpu');
  }

  return {
    app: appVersion(),
    node: process.versions.node,
    electron: process.versions.electron ?? null,
    platform: `${process.platform}-${process.arch}`,
    packages,
    student: { usable: studentUsable, chosen: studentUsable[0] ?? null, notes: studentNotes },
    teacher: { usable: teacherUsable, chosen: teacherUsable[0] ?? null, notes: teacherNotes },
  };
}
