import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/**
 * `npm run build`: the package's JavaScript and types in `dist/`. The construct, the client and the operator CLI are
 * bundled as ES modules with every dependency left to the installing project; the handlers ship as their TypeScript sources, which
 * the construct bundles at synth, like any NodejsFunction.
 */
const root = join(import.meta.dirname, '..');
const entries = [
  { entry: 'lib/index.ts', out: 'dist/index.js' },
  { entry: 'client/index.ts', out: 'dist/client.js' },
  { entry: 'ops/main.ts', out: 'dist/cli.js' },
].filter(({ entry }) => existsSync(join(root, entry)));

rmSync(join(root, 'dist'), { recursive: true, force: true });
for (const { entry, out } of entries) {
  await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node22',
    packages: 'external',
    sourcemap: true,
    logLevel: 'warning',
  });
}
console.log(`built ${entries.map(({ out }) => out).join(', ')}`);
