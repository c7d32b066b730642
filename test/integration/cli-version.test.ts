// `outdial --version` prints package.json's version: through bin/outdial.js (answered before the
// TypeScript loader loads) and through src/cli.ts itself.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url);

describe('outdial --version', () => {
  it('prints the package version from the bin script and from the CLI module', async () => {
    const { version } = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as { version: string };
    const cwd = root.pathname;
    for (const flag of ['--version', '-V']) {
      const bin = await run(process.execPath, ['bin/outdial.js', flag], { cwd });
      expect(bin.stdout).toBe(`${version}\n`);
    }
    const cli = await run(process.execPath, ['--import', 'tsx', 'src/cli.ts', '--version'], { cwd });
    expect(cli.stdout).toBe(`${version}\n`);
  });
});
