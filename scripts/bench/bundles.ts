/**
 * Each Lambda bundle's size (minified, and zipped as CDK uploads it) and its cold init: a fresh Node process that
 * loads the bundle and handles one request, next to a bundle of an empty handler, repeated. Built as CDK builds
 * them (esbuild, minified, source maps, Node 24, CommonJS), once with the AWS SDK bundled and once with the SDK
 * left to the runtime. Prints figures; asserts nothing.
 *
 *   npm run bench:bundles [-- --runs 9]
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import { createGrantTable } from '../../lambdas/adapters/dynamodb/create-table';
import { startDynalite } from '../../local/embedded-dynamodb';
import { argument } from './bench-kit';
import { printTable } from './stats';

const OUT = join(process.cwd(), 'reports', 'bench', 'bundles');
const run = promisify(execFile);
const runs = argument('runs', 9);

/** A request each handler answers without reaching AWS or TikTok, after its full initialisation. */
const FIRST_REQUEST: Record<string, unknown> = {
  'oauth-callback': { routeKey: 'GET /oauth/callback', queryStringParameters: { code: 'x'.repeat(3000) }, headers: {} },
  'tiktok-webhook': { routeKey: 'POST /webhooks/tiktok', body: 'x'.repeat(70_000), headers: {} },
  'seller-api': { routeKey: 'POST /authorization-links', body: '{}', headers: {} },
  credentials: { routeKey: 'GET /shops/{shopId}/credentials', pathParameters: {}, headers: {} },
  'refresh-worker': { Records: [] },
  'refresh-sweep': {},
  'reminder-sweep': {},
  'outbox-sweep': {},
};

/** The size of a zip archive holding these files, deflated (what CDK uploads for a function's asset). */
function zipSize(files: string[]): number {
  return files.reduce((total, file) => {
    const name = file.split('/').at(-1) ?? file;
    const compressed = deflateRawSync(readFileSync(file), { level: 9 }).length;
    return total + 30 + name.length + compressed + 46 + name.length;
  }, 22);
}

async function bundle(entry: string, outdir: string, sdk: 'bundled' | 'runtime') {
  mkdirSync(outdir, { recursive: true });
  await build({
    entryPoints: [entry],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    minify: true,
    sourcemap: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    external: sdk === 'runtime' ? ['@aws-sdk/*'] : [],
    logLevel: 'error',
  });
  const files = readdirSync(outdir).map((name) => join(outdir, name));
  return { dir: outdir, minified: statSync(join(outdir, 'index.js')).size, zipped: zipSize(files) };
}

const RUNNER = `
const t0 = performance.now();
const mod = require(process.argv[2]);
const t1 = performance.now();
const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 30000 };
Promise.resolve(mod.handler(JSON.parse(process.argv[3]), context)).then((result) => {
  const t2 = performance.now();
  process.stdout.write(JSON.stringify({ bootMs: t0, loadMs: t1 - t0, firstRequestMs: t2 - t1, totalMs: t2, rssMb: process.memoryUsage().rss / 1048576 }));
});`;

/** Not execFileSync: the sweeps' DynamoDB is dynalite, in this very process, and must keep answering. */
async function coldStarts(dir: string, event: unknown, env: NodeJS.ProcessEnv) {
  const samples: Array<{ loadMs: number; firstRequestMs: number; totalMs: number; rssMb: number }> = [];
  for (let i = 0; i < runs; i++) {
    const { stdout } = await run(
      process.execPath,
      [join(OUT, 'runner.cjs'), join(dir, 'index.js'), JSON.stringify(event)],
      {
        env,
        timeout: 30_000,
      },
    );
    samples.push(JSON.parse(stdout));
  }
  return samples;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const spread = (values: number[]) => `${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)}`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

async function main() {
  mkdirSync(OUT, { recursive: true });
  // As in a Lambda asset (no package.json), the bundles are CommonJS, whatever this project's own type is.
  writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
  writeFileSync(join(OUT, 'runner.cjs'), RUNNER);
  writeFileSync(join(OUT, 'empty-handler.ts'), 'export const handler = async () => ({ statusCode: 200 });\n');

  // The sweeps query DynamoDB on their first request: an empty local table answers them.
  const dynamo = await startDynalite();
  await createGrantTable(dynamo.client, 'bench');
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    POWERTOOLS_METRICS_DISABLED: 'true',
    TABLE_NAME: 'bench',
    EVENT_BUS_NAME: 'bench',
    APP_SECRET_ID: 'bench',
    SEALING_KEY_ID: 'bench',
    REFRESH_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/bench',
    REMINDER_TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench',
    TIKTOK_SERVICE_ID: 'bench',
    SUCCESS_URL: 'https://app.example/ok',
    CLAIM_URL: 'https://app.example/claim',
  };

  try {
    const empty = await bundle(join(OUT, 'empty-handler.ts'), join(OUT, 'empty'), 'bundled');
    const baseline = await coldStarts(empty.dir, {}, env);
    const baselineTotal = median(baseline.map((s) => s.totalMs));
    const rows: string[][] = [
      [
        'function',
        'AWS SDK',
        'minified',
        'zipped',
        'load (median, range) ms',
        'first request ms',
        'process total ms',
        'vs empty',
        'memory (RSS)',
      ],
      [
        '(empty handler)',
        '-',
        kb(empty.minified),
        kb(empty.zipped),
        `${median(baseline.map((s) => s.loadMs)).toFixed(1)}`,
        '-',
        baselineTotal.toFixed(0),
        '1.0x',
        `${median(baseline.map((s) => s.rssMb)).toFixed(0)} MB`,
      ],
    ];
    for (const [name, event] of Object.entries(FIRST_REQUEST)) {
      for (const sdk of ['bundled', 'runtime'] as const) {
        const built = await bundle(
          join(process.cwd(), 'lambdas', 'handlers', `${name}.ts`),
          join(OUT, `${name}-${sdk}`),
          sdk,
        );
        const samples = await coldStarts(built.dir, event, env);
        const load = samples.map((s) => s.loadMs);
        const total = median(samples.map((s) => s.totalMs));
        rows.push([
          name,
          sdk,
          kb(built.minified),
          kb(built.zipped),
          `${median(load).toFixed(1)} (${spread(load)})`,
          median(samples.map((s) => s.firstRequestMs)).toFixed(1),
          total.toFixed(0),
          `${(total / baselineTotal).toFixed(2)}x`,
          `${median(samples.map((s) => s.rssMb)).toFixed(0)} MB`,
        ]);
      }
    }
    console.log(
      `\nLambda bundles and cold init, ${runs} fresh processes each (Node ${process.version}, ${process.platform}/${process.arch})`,
    );
    console.log(
      '"runtime": the AWS SDK left out of the bundle and loaded from node_modules, as Lambda loads its own copy.\n',
    );
    printTable(rows);
  } finally {
    await dynamo.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
