import type { ParseArgsConfig } from 'node:util';
import { parseDevice, type Device } from '../onnx/device';
import { UsageError, type Flags } from './command';

/** `--device auto|cpu|cuda`: the one device word of every command that runs a model. */
export const DEVICE_OPTION: NonNullable<ParseArgsConfig['options']> = { device: { type: 'string' } };

export const DEVICE_USAGE = '--device auto|cpu|cuda';

/** The --device flag, checked now; undefined when absent (the default then applies). */
export function deviceFromFlags(flags: Flags): Device | undefined {
  if (flags.device === undefined) return undefined;
  try {
    return parseDevice(flags.device);
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
}
