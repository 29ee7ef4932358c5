import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `npm run package`: the npm package, as `build/tiktok-shop-auth-<version>.tgz`, from `dist/` (run `npm run build`
 * first) and the handlers' sources. Packed from a staging folder with a manifest of its own: the project's
 * development set-up (its scripts, its devDependencies, and the Node binary it installs for itself as an optional
 * dependency) must not reach a project that installs the package.
 */
const root = join(import.meta.dirname, '..');
const staging = join(root, 'build', 'package');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

rmSync(join(root, 'build'), { recursive: true, force: true });
mkdirSync(staging, { recursive: true });
// What `files` lists (the project itself is private; only this staged manifest is packed).
for (const path of manifest.files as string[]) {
  cpSync(join(root, path), join(staging, path), { recursive: true });
}
const published = Object.fromEntries(
  [
    'name',
    'version',
    'description',
    'license',
    'type',
    'main',
    'types',
    'exports',
    'bin',
    'files',
    'engines',
    'dependencies',
    'peerDependencies',
  ]
    .filter((field) => manifest[field] !== undefined)
    .map((field) => [field, manifest[field]]),
);
writeFileSync(join(staging, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--json', '--pack-destination', join(root, 'build')], {
    cwd: staging,
    encoding: 'utf8',
  }),
);
console.log(join(root, 'build', packed.filename));
