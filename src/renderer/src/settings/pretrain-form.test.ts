import { describe, expect, it } from 'vitest';
import { DEFAULT_PRETRAIN_FORM, parsePretrainForm } from './pretrain-form';
import { DEFAULT_TRAIN_FORM, parseTrainForm, SMALL_MODEL } from './settings-form';

describe('the pre-training form', () => {
  it('keeps the SimCLR defaults for empty fields and sends what was typed', () => {
    expect(parsePretrainForm({ ...DEFAULT_PRETRAIN_FORM })).toEqual({ ok: true, value: { device: 'auto' } });
    expect(parsePretrainForm({ ...DEFAULT_PRETRAIN_FORM, epochs: '5', temperature: '0.2', model: 'small' })).toEqual({
      ok: true,
      value: { ...SMALL_MODEL, epochs: 5, temperature: 0.2, device: 'auto' },
    });
  });

  it('refuses what SimCLR cannot run', () => {
    expect(parsePretrainForm({ ...DEFAULT_PRETRAIN_FORM, batch: '1' })).toMatchObject({ ok: false, error: /at least 2/ });
    expect(parsePretrainForm({ ...DEFAULT_PRETRAIN_FORM, temperature: '0' })).toMatchObject({ ok: false, error: /positive/ });
    expect(parsePretrainForm({ ...DEFAULT_PRETRAIN_FORM, epochs: '2.5' })).toMatchObject({ ok: false, error: /whole/ });
  });
});

describe('a training run started from a pre-training run', () => {
  it('sends the run it starts from, and nothing when it starts from scratch', () => {
    expect(parseTrainForm({ ...DEFAULT_TRAIN_FORM, init: '7' })).toMatchObject({ ok: true, value: { initRun: 7 } });
    const scratch = parseTrainForm({ ...DEFAULT_TRAIN_FORM });
    expect(scratch.ok && 'initRun' in scratch.value).toBe(false);
  });
});
