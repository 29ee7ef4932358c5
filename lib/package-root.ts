import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding the handlers' sources: found from this module's own location, so that a CDK app built from any
 * working directory, or one that installed this package, bundles the same files. It is the nearest folder above
 * this module with `lambdas/handlers` in it: the project root, or the installed package's.
 */
export function packageRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let folder = from; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'lambdas', 'handlers'))) return folder;
    if (dirname(folder) === folder) throw new Error(`no lambdas/handlers folder above ${from}`);
  }
}
