#!/usr/bin/env node
// The operator CLI (`npx tiktok-shop-auth ...`): the built `dist/cli.js` when the package carries one, else the
// TypeScript sources (`ops/main.ts`) through tsx, in this same process, so stdout holds only the CLI's output.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/cli.js', import.meta.url);
if (existsSync(fileURLToPath(built))) {
  await import(built.href);
} else {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      'tiktok-shop-auth: no built CLI (dist/cli.js) and no tsx to run its sources; run npm run build\n',
    );
    process.exit(1);
  }
  register();
  await import(new URL('../ops/main.ts', import.meta.url).href);
}
