#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so `npx outdial` works from a plain `npm ci` with no build
// step. The loader also goes into NODE_OPTIONS, because the LiveKit Agents worker forks a child
// process per job that must load TypeScript too.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

// `--version` answers before the TypeScript loader and the CLI's modules load: milliseconds,
// not seconds. src/cli.ts answers it too (same package.json field) when run another way.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  console.log(pkg.version);
  process.exit(0);
}

const { register } = await import('tsx/esm/api');

const loader = import.meta.resolve('tsx');
if (!(process.env.NODE_OPTIONS ?? '').includes(loader)) {
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${loader}`.trim();
}
register();
const here = dirname(fileURLToPath(import.meta.url));
await import(join(here, '..', 'src', 'cli.ts'));
