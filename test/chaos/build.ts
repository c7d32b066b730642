// Roles start from compiled JavaScript: one `npm run build` when the run starts, then every start
// and restart is `node dist/cli.js <role>`. Through bin/outdial.js each restart transpiled the
// whole TypeScript tree again, which dominated the run's CPU on a busy machine.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Builds dist/ from the current sources; returns the CLI script the roles run. */
export function buildRoles(root: string): string {
  const r = spawnSync('npm', ['run', 'build'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) throw new Error(`npm run build failed (exit ${String(r.status)}):\n${r.stdout}${r.stderr}`);
  return join(root, 'dist', 'cli.js');
}
