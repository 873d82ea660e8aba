import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EXPERIMENT_FORM,
  DEFAULT_PROMPT_FORM,
  DEFAULT_TRAIN_FORM,
  experimentCells,
  parseExperimentForm,
  parsePromptForm,
  parseTrainForm,
  parseWeight,
  SMALL_MODEL,
  teacherChoiceOf,
} from './settings-form';

describe('training settings form', () => {
  it('keeps defaults for empty fields and sends the device and initialisation', () => {
    expect(parseTrainForm(DEFAULT_TRAIN_FORM)).toEqual({ ok: true, value: { device: 'auto', initScheme: 'pytorch' } });
    expect(parseTrainForm({ ...DEFAULT_TRAIN_FORM, initScheme: 'smp' })).toEqual({ ok: true, value: { device: 'auto', initScheme: 'smp' } });
  });
  it('sends typed values and the small model preset', () => {
    expect(parseTrainForm({ ...DEFAULT_TRAIN_FORM, epochs: '3', lr: '1e-3', size: '64', model: 'small', device: 'cpu' })).toEqual({
      ok: true,
      value: { ...SMALL_MODEL, epochs: 3, lr: 0.001, size: 64, device: 'cpu', initScheme: 'pytorch' },
    });
  });
  it('refuses what is not a number, a fractional epoch count, a size off the 32 grid', () => {
    expect(parseTrainForm({ ...DEFAULT_TRAIN_FORM, lr: 'fast' })).toEqual({ ok: false, error: 'Learning rate must be a number' });
    expect(parseTrainForm({ ...DEFAULT_TRAIN_FORM, epochs: '2.5' })).toEqual({ ok: false, error: 'Epochs must be a whole number' });
    expect(parseTrainForm({ ...DEFAULT_TRAIN_FORM, size: '100' })).toEqual({ ok: false, error: 'Size must be a multiple of 32' });
  });
});

describe('mining prompt settings form', () => {
  it('sends every prompt setting', () => {
    expect(parsePromptForm({ points: '5', threshold: '0.3', box: false, maskPrompt: true, perComponent: true })).toEqual({
      ok: true,
      value: { points: 5, threshold: 0.3, box: false, maskPrompt: true, perComponent: true },
    });
    expect(parsePromptForm(DEFAULT_PROMPT_FORM)).toMatchObject({ ok: true, value: { points: 3, threshold: 0.5, box: true } });
  });
  it('refuses prompts that give the teacher nothing, and values out of range', () => {
    expect(parsePromptForm({ ...DEFAULT_PROMPT_FORM, points: '0', box: false })).toMatchObject({ ok: false, error: /nothing/ });
    expect(parsePromptForm({ ...DEFAULT_PROMPT_FORM, threshold: '2' })).toMatchObject({ ok: false, error: /Threshold/ });
    expect(parseWeight('1.5')).toMatchObject({ ok: false });
    expect(parseWeight('')).toEqual({ ok: true, value: undefined });
    expect(parseWeight('0.25')).toEqual({ ok: true, value: 0.25 });
  });
});

describe('experiment grid form', () => {
  it('reads labeled percentages, methods, seeds and the held-out shares', () => {
    expect(parseExperimentForm({ ...DEFAULT_EXPERIMENT_FORM, ratios: '100, 50', seeds: '1', schedules: { supervised: true, 'one-time': true, continuous: false } })).toEqual({
      ok: true,
      value: { name: 'default', ratios: [1, 0.5], schedules: ['supervised', 'one-time'], seeds: 1, val: 0.1, test: 0.1 },
    });
  });
  it('refuses an empty grid or impossible shares', () => {
    expect(parseExperimentForm({ ...DEFAULT_EXPERIMENT_FORM, ratios: '0' })).toMatchObject({ ok: false });
    expect(parseExperimentForm({ ...DEFAULT_EXPERIMENT_FORM, name: ' ' })).toMatchObject({ ok: false });
    expect(parseExperimentForm({ ...DEFAULT_EXPERIMENT_FORM, schedules: { supervised: false, 'one-time': false, continuous: false } })).toMatchObject({ ok: false });
    expect(parseExperimentForm({ ...DEFAULT_EXPERIMENT_FORM, valPercent: '50', testPercent: '50' })).toMatchObject({ ok: false, error: /leave images/ });
  });
  it('counts the runs a grid trains (no mining at 100 % labeled)', () => {
    expect(experimentCells({ ratios: [1, 0.5], schedules: ['supervised', 'one-time'], seeds: 1 })).toBe(3);
    expect(experimentCells({ ratios: [0.5], schedules: ['one-time'], seeds: 1 })).toBe(2);
    expect(experimentCells({ ratios: [1, 0.75, 0.5], schedules: ['supervised', 'one-time', 'continuous'], seeds: 3 })).toBe(21);
  });
});

describe('teacher picker', () => {
  it('names an installed model by id, or an evaluation tool', () => {
    expect(teacherChoiceOf('sam:4')).toEqual({ kind: 'sam', modelId: 4 });
    expect(teacherChoiceOf('oracle')).toEqual({ kind: 'oracle' });
    expect(teacherChoiceOf('noisy-oracle')).toEqual({ kind: 'noisy-oracle' });
  });
});
