#!/usr/bin/env node
// No build step: load tsx's ESM hooks, then run the TypeScript entry.
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
