#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx outdial` works from a plain `npm ci` with no build
// step. The loader also goes into NODE_OPTIONS, because the LiveKit Agents worker forks a child
// process per job that must load TypeScript too.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const loader = import.meta.resolve('tsx');
if (!(process.env.NODE_OPTIONS ?? '').includes(loader)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${loader}`.trim();
}
register();
const here = dirname(fileURLToPath(import.meta.url));
await import(join(here, '..', 'src', 'cli.ts'));
