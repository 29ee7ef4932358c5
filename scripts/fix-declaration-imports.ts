import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The declarations TypeScript emits keep the sources' extensionless relative imports, which a project resolving
 * modules as Node does (`"moduleResolution": "nodenext"`, this package being ESM) cannot follow: each gets `.js`,
 * which TypeScript maps back to the `.d.ts` beside it.
 */
const RELATIVE_IMPORT = /(\bfrom\s+|\bimport\s*\(\s*)(['"])(\.{1,2}\/[^'"]*?)(?<!\.js)\2/g;

function fix(folder: string): number {
  let changed = 0;
  for (const name of readdirSync(folder)) {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) {
      changed += fix(path);
    } else if (name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(
        RELATIVE_IMPORT,
        (_, keyword, quote, specifier) => `${keyword}${quote}${specifier}.js${quote}`,
      );
      if (fixed !== text) {
        writeFileSync(path, fixed);
        changed++;
      }
    }
  }
  return changed;
}

console.log(
  `declarations with relative imports made explicit: ${fix(join(import.meta.dirname, '..', 'dist', 'types'))}`,
);
