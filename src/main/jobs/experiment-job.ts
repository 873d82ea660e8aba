import { readFileSync } from 'node:fs';
import type { ExperimentInit, ExperimentOutcome, ExperimentRequest } from '../../shared/contract';
import { DEFAULT_EXPERIMENT, runExperiment, type ExperimentSpec, type InitFactor } from '../mining/experiment';
import type { Workspace } from '../workspace/workspace';
import { mineProgressReporter } from './progress';
import { teacherSpecOf, trainSettingsFromRequest, type JobOptions } from './training-jobs';
import { withJobSlot } from './workspace-lock';

/** The grid a user asked for (contract) as the runner's spec; absent values keep the CLI's defaults. */
export function experimentSpecFromRequest(r: ExperimentRequest): ExperimentSpec {
  return {
    ...DEFAULT_EXPERIMENT,
    name: r.name,
    ratios: r.ratios,
    schedules: r.schedules,
    seeds: r.seeds,
    val: r.val,
    test: r.test,
    teacher: teacherSpecOf(r.teacher),
    pseudoWeight: r.weight ?? DEFAULT_EXPERIMENT.pseudoWeight,
    prompts: r.prompts ?? {},
    train: trainSettingsFromRequest(r.settings),
    ...(r.inits ? { inits: r.inits.map(initFactorOf) } : {}),
    ...(r.teachers ? { teachers: r.teachers.map(teacherSpecOf) } : {}),
    ...(r.promptSets ? { promptSets: r.promptSets } : {}),
  };
}

function initFactorOf(i: ExperimentInit): InitFactor {
  if (i.kind === 'simclr') return i.epochs !== undefined ? { kind: 'simclr', settings: { maxEpochs: i.epochs } } : { kind: 'simclr' };
  return i;
}

/** An experiment as a job: it holds the workspace's job slot for the whole grid, as the CLI's does. */
export function runExperimentJob(ws: Workspace, request: ExperimentRequest, opts: JobOptions = {}): Promise<ExperimentOutcome> {
  return withJobSlot(ws.root, 'experiment', async (slot) => {
    const report = mineProgressReporter((p) => {
      if (p.runId !== null) slot.noteRun(p.runId);
      opts.onProgress?.(p);
    });
    const r = await runExperiment(ws, experimentSpecFromRequest(request), { signal: opts.signal, onProgress: report });
    return { name: r.name, table: r.table, cells: r.cells, files: r.files, plotSvg: readFileSync(r.files.plot, 'utf8') };
  });
}
