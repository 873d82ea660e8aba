import { createRequire } from 'node:module';
import type { Doctor } from '../../shared/contract';
import { probeDevices } from '../onnx/device';
import { ortStatus } from '../onnx/runtime';
import { appVersion } from '../util/package-root';

// Not named `require`: electron-vite's ESM shim declares its own in every bundled chunk that calls require().
const nodeRequire = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    return (nodeRequire(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function loads(name: string): string | null {
  try {
    nodeRequire(name);
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
  // Training runs on onnxruntime when it loads (src/main/student/trainer.ts), on the device the
  // teacher gets too: that is what runs record as their backend; the tfjs backends above remain
  // the --engine tfjs path. The runtime is loaded through the app's one loader, so a broken
  // install is reported here with its reason instead of stopping the process.
  const ort = await ortStatus();
  const devices = await probeDevices();
  if (!ort.ok) studentNotes.push(`onnxruntime: onnxruntime-node does not load (${ort.reason}); training falls back to tfjs`);
  // Same order as the trainer's "auto": a usable GPU TensorFlow first, then onnxruntime.
  else studentUsable.splice(studentUsable[0] === 'tensorflow-gpu' ? 1 : 0, 0, ...devices.usable.map((d) => `onnxruntime-${d}`));

  return {
    app: appVersion(),
    node: process.versions.node,
    electron: process.versions.electron ?? null,
    platform: `${process.platform}-${process.arch}`,
    packages,
    student: { usable: studentUsable, chosen: studentUsable[0] ?? null, notes: studentNotes },
    teacher: { usable: devices.usable, chosen: devices.usable[0] ?? null, notes: devices.notes },
  };
}
