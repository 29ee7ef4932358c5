/**
 * How the bundle benchmark builds its bundles, baselines included: from the construct's own `bundling`
 * (`handlerBundling()` in lib/constructs/service-function.ts), turned into the esbuild options NodejsFunction passes,
 * so that the benchmark follows when the construct changes. An option not translated here stops the benchmark
 * rather than be silently ignored.
 */
import { type BundlingOptions, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BuildOptions } from 'esbuild';
import { handlerBundling, RUNTIME_ENVIRONMENT } from '../../lib/constructs/service-function';

/** The construct's bundling: the one line to change if the construct exports it under another name. */
export const SERVICE_BUNDLING: BundlingOptions = handlerBundling();

/** What the function's runtime sets, from the construct, at its default log level. */
export const FUNCTION_RUNTIME_ENV = { ...RUNTIME_ENVIRONMENT, POWERTOOLS_LOG_LEVEL: 'INFO' } as const;

const TRANSLATED = new Set([
  'minify',
  'sourceMap',
  'target',
  'format',
  'bundleAwsSDK',
  'externalModules',
  'mainFields',
  'esbuildArgs',
  'define',
  'banner',
  'footer',
  'keepNames',
  'sourcesContent',
]);

/** `--alias` is the only esbuild argument translated: `{ '--alias': 'from=to' }` or a list of them. */
function aliasesOf(esbuildArgs: BundlingOptions['esbuildArgs']): Record<string, string> {
  const aliases: Record<string, string> = {};
  for (const [key, value] of Object.entries(esbuildArgs ?? {})) {
    if (key !== '--alias') throw new Error(`the bundle benchmark does not translate the esbuild argument ${key}`);
    for (const pair of Array.isArray(value) ? value : [value]) {
      const [from, to] = String(pair).split('=');
      if (!from || !to) throw new Error(`--alias ${String(pair)}: expected from=to`);
      aliases[from] = to;
    }
  }
  return aliases;
}

/** The esbuild options NodejsFunction builds with, for these bundling props, and the file it writes. */
export function esbuildBuildOf(bundling: BundlingOptions): { options: BuildOptions; file: 'index.js' | 'index.mjs' } {
  const untranslated = Object.keys(bundling).filter((key) => !TRANSLATED.has(key));
  if (untranslated.length) {
    throw new Error(
      `the bundle benchmark does not build with ${untranslated.join(', ')}: translate it in scripts/bench/function-bundling.ts`,
    );
  }
  const esm = bundling.format === OutputFormat.ESM;
  const options: BuildOptions = {
    bundle: true,
    platform: 'node',
    minify: bundling.minify ?? false,
    sourcemap: bundling.sourceMap ?? false,
    sourcesContent: bundling.sourcesContent ?? true,
    target: bundling.target,
    format: esm ? 'esm' : 'cjs',
    // NodejsFunction leaves the runtime's SDK out unless told to bundle it.
    external: [...(bundling.externalModules ?? (bundling.bundleAwsSDK ? [] : ['@aws-sdk/*']))],
    ...(bundling.mainFields ? { mainFields: bundling.mainFields } : {}),
    alias: aliasesOf(bundling.esbuildArgs),
    ...(bundling.define ? { define: bundling.define } : {}),
    ...(bundling.banner ? { banner: { js: bundling.banner } } : {}),
    ...(bundling.footer ? { footer: { js: bundling.footer } } : {}),
    ...(bundling.keepNames ? { keepNames: true } : {}),
  };
  return { options, file: esm ? 'index.mjs' : 'index.js' };
}
