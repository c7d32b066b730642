// After `tsc -p tsconfig.build.json`: copies the files the compiled code reads next to itself
// (the lease Lua scripts) from src/ to dist/, keeping their paths.
import { cpSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const dist = join(root, 'dist');
const assets = readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.lua'));
for (const file of assets) cpSync(join(src, file), join(dist, file));
process.stdout.write(`copied ${assets.length} assets to ${relative(root, dist)}/\n`);
