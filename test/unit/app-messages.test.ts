import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ApiService } from '../../src/main/services/api';
import { trainStudent } from '../../src/main/student/train';
import { describe as describeError, describeForApp } from '../../src/main/util/errors';
import { Workspace } from '../../src/main/workspace/workspace';
import { tempDir } from '../helpers/data';

/** Messages that reach the app's window name its tabs and buttons; the terminal keeps its commands. */
describe('remedies in app messages', () => {
  const api = new ApiService('websocket');
  afterAll(() => api.close());

  it('opening a folder that is not a workspace points to "New", not to apprentice init', async () => {
    const folder = join(tempDir('app-messages'), 'not-yet');
    const error = await api.dispatch('workspace.open', { path: folder }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/is not an Apprentice workspace/);
    expect(error).toMatch(/"New"/);
    expect(error).not.toMatch(/apprentice /);
  });

  it('predicting without a trained student points to the Training tab', async () => {
    await api.dispatch('workspace.open', { path: join(tempDir('app-messages'), 'ws'), create: true });
    const error = await api.dispatch('predict', { imageId: 1, mode: 'fast' }).then(
      () => null,
      (e: Error) => e.message,
    );
    expect(error).toMatch(/no finished student run.*Training tab/);
    expect(error).not.toMatch(/apprentice /);
  });

  it('training without a split says where to make one, in the app and in the terminal', async () => {
    const ws = Workspace.open(join(tempDir('app-messages'), 'ws2'), { create: true });
    try {
      const e = await trainStudent(ws, {}).then(
        () => null,
        (err: unknown) => err,
      );
      expect(describeForApp(e)).toBe('the workspace has no split: make one first (Images tab, "Make split")');
      expect(describeError(e)).toMatch(/apprentice split/);
    } finally {
      ws.close();
    }
  });
});
