#!/usr/bin/env node
// The CLI runs straight from the TypeScript sources (tsx), so it works right after `npm ci`.
import { register } from 'tsx/esm/api';

register();
await import('../src/main/cli.ts');
