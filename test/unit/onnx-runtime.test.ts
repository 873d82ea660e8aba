import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { encodeModel, ONNX_FLOAT } from '../../src/main/onnx/proto-writer';
import { createSession, parseDevice, resolveDevice } from '../../src/main/onnx/device';
import { loadOrt, ORT_MODULE_ENV, ortStatus, resetOrtRuntime } from '../../src/main/onnx/runtime';
import { doctor } from '../../src/main/services/doctor';
import { resolveEngine } from '../../src/main/student/trainer';

const dir = mkdtempSync(join(tmpdir(), 'apprentice-onnx-runtime-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function breakOrt(module: string): void {
  process.env[ORT_MODULE_ENV] = module;
  resetOrtRuntime();
}

afterEach(() => {
  delete process.env[ORT_MODULE_ENV];
  resetOrtRuntime();
});

describe('onnxruntime loads lazily, in one place', () => {
  it('no module imports onnxruntime-node statically (type-only imports aside)', () => {
    const offenders: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = join(d, f);
        if (statSync(p).isDirectory()) walk(p);
        else if (/\.(ts|svelte|mjs)$/.test(f) && /^\s*import\s+(?!type\b)[^;]*from\s+['"]onnxruntime-node['"]/m.test(readFileSync(p, 'utf8'))) offenders.push(p);
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });

  it('a runtime that fails to load is a reason, not a crash: doctor says why and training falls back to tfjs', async () => {
    // A native binding that cannot load throws at import time, like this module does.
    const broken = join(dir, 'broken-ort.mjs');
    writeFileSync(broken, "throw new Error('libonnxruntime.so.1: cannot open shared object file: No such file or directory');\n");
    breakOrt(broken);
    const status = await ortStatus();
    expect(status.ok).toBe(false);
    expect(!status.ok && status.reason).toMatch(/libonnxruntime\.so\.1: cannot open shared object file/);
    await expect(loadOrt()).rejects.toThrow(/onnxruntime-node does not load here \(libonnxruntime/);

    const d = await doctor();
    expect(d.student.notes.join('\n')).toMatch(/onnxruntime-node does not load \(libonnxruntime\.so\.1: cannot open shared object file.*training falls back to tfjs/);
    expect(d.student.usable.some((b) => b.startsWith('onnxruntime'))).toBe(false);
    expect(d.student.usable).toContain('cpu'); // tfjs still trains
    expect(d.teacher.usable).toEqual([]);
    expect(d.teacher.notes.join('\n')).toMatch(/libonnxruntime\.so\.1/);
    expect(await resolveEngine('auto', 'cpu')).toBe('tfjs');
  });

  it('a missing package is reported by name', async () => {
    breakOrt(join(dir, 'no-such-onnxruntime.mjs'));
    const d = await doctor();
    expect(d.student.notes.join('\n')).toMatch(/onnxruntime-node does not load \(.*no-such-onnxruntime/);
    await expect(createSession(new Uint8Array(1), 'cpu')).rejects.toThrow(/does not load here/);
  });

  it('with the real install: onnxruntime trains, doctor lists it, a CPU session runs', async () => {
    expect((await ortStatus()).ok).toBe(true);
    expect(await resolveEngine('auto', 'cpu')).toBe('onnxruntime');
    const d = await doctor();
    expect(d.student.usable).toContain('onnxruntime-cpu');
    expect(d.teacher.usable).toContain('cpu');
    const model = encodeModel({
      name: 'neg',
      inputs: [{ name: 'x', elemType: ONNX_FLOAT, shape: [2] }],
      outputs: [{ name: 'y', elemType: ONNX_FLOAT, shape: [2] }],
      nodes: [{ op: 'Neg', inputs: ['x'], outputs: ['y'] }],
    });
    const s = await createSession(model, 'cpu');
    expect(s.device).toBe('cpu');
    const ort = await loadOrt();
    const out = await s.session.run({ x: new ort.Tensor('float32', Float32Array.of(1, -2), [2]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([-1, 2]);
    await s.session.release();
  });
});

describe('one device word', () => {
  it('accepts auto, cpu and cuda only', () => {
    expect(parseDevice('cuda')).toBe('cuda');
    expect(() => parseDevice('gpu')).toThrow(/--device must be auto, cpu, cuda \(got gpu\)/);
  });

  it('auto resolves to CUDA only when a CUDA session opened here; cpu is always cpu', async () => {
    expect(await resolveDevice('cpu')).toBe('cpu');
    const auto = await resolveDevice('auto');
    if (auto === 'cpu') await expect(resolveDevice('cuda')).rejects.toThrow(/CUDA provider was requested but failed/);
    else expect(await resolveDevice('cuda')).toBe('cuda');
  });
});
