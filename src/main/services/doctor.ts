import { createRequire } from 'node:module';
import type { Doctor } from '../../shared/contract';
import { probeTeacherProviders } from '../teacher/providers';
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
export async function doctor(): Promise<Doctor> {
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
  // Training runs on onnxruntime's CPU kernels when it loads (src/main/student/trainer.ts): that is
  // what runs record as their backend; the tfjs backends above remain the --engine tfjs path.
  const ortErr = loads('onnxruntime-node');
  if (ortErr) studentNotes.push(`onnxruntime-cpu: onnxruntime-node does not load (${ortErr}); training falls back to tfjs`);
  // Same order as the trainer's "auto": a usable GPU TensorFlow first, then onnxruntime's CPU kernels.
  else studentUsable.splice(studentUsable[0] === 'tensorflow-gpu' ? 1 : 0, 0, 'onnxruntime-cpu');

  const teacher = await probeTeacherProviders();

  return {
    app: appVersion(),
    node: process.versions.node,
    electron: process.versions.electron ?? null,
    platform: `${process.platform}-${process.arch}`,
    packages,
    student: { usable: studentUsable, chosen: studentUsable[0] ?? null, notes: studentNotes },
    teacher: { usable: teacher.usable, chosen: teacher.usable[0] ?? null, notes: teacher.notes },
  };
}
