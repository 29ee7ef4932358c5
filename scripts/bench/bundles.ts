/**
 * Each Lambda function's cold start against a baseline measured in the same run: a bundle whose handler only makes
 * a DynamoDB client and one GetItem. Every bundle (baselines too) is built as `ServiceFunction` builds it
 * (`function-bundling.ts`); each run is a fresh Node process that loads the bundle and handles one real request,
 * one that reaches the function's AWS stand-ins (dynalite, moto) and the TikTok sandbox and succeeds, checked
 * (`first-requests.ts`). Runs go round-robin across the functions, after one uncounted warm-up round.
 *
 * Per function: minified and zipped size; load (the bundle's `require`), first request, and process total (from
 * Node's start to the first answer) as median and range; the total against the baseline's, with a verdict against
 * the 1.15x target; the process's CPU time and resident memory at the first answer. Prints figures and asserts no timing; exits 1 only
 * when a request failed, since its figures then mean nothing.
 *
 *   npm run bench:bundles [-- --runs 11]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build } from 'esbuild';
import * as z from 'zod';
import { FUNCTION_TIMINGS, type HandlerName } from '../../lambdas/shared/timings';
import { type StandIns, startStandIns } from './aws-stand-ins';
import { argument } from './bench-kit';
import { BASELINE_EVENT, type FirstRequest, firstRequests } from './first-requests';
import { esbuildBuildOf, FUNCTION_RUNTIME_ENV, SERVICE_BUNDLING } from './function-bundling';
import { printTable } from './stats';

const ROOT = process.cwd();
const OUT = join(ROOT, 'reports', 'bench', 'bundles');
const RUNNER = join(ROOT, 'scripts', 'bench', 'cold-start-runner.cjs');
const TARGET = 1.15;
const BASELINE = '(DynamoDB baseline)';
const BUILD = esbuildBuildOf(SERVICE_BUNDLING);
const runs = argument('runs', 11);

/** One row of the table: a bundle, and the request each of its runs handles. */
interface Subject {
  readonly name: string;
  readonly entry: string;
  readonly timeoutMs: number;
  readonly request: FirstRequest;
  /** Shown for information, not held to the target. */
  readonly informative?: boolean;
}

interface Built {
  readonly dir: string;
  /** The bundle's entry file. */
  readonly file: string;
  readonly minified: number;
  readonly zipped: number;
}

interface Sample {
  readonly loadMs: number;
  readonly firstRequestMs: number;
  readonly totalMs: number;
  /** User and system CPU time until the first answer: less swayed than wall time by other work on the machine. */
  readonly cpuMs: number;
  readonly rssMb: number;
}

/** What the runner reports on fd 3. */
const runnerReport = z.object({
  loadMs: z.number(),
  firstRequestMs: z.number(),
  totalMs: z.number(),
  cpuMs: z.number(),
  rssMb: z.number(),
  result: z.unknown(),
  error: z.string().optional(),
});

/** A run's report, or why there is none, with what the function logged. */
type Outcome = { readonly report?: z.infer<typeof runnerReport>; readonly error?: string; readonly log: string };

interface Measured {
  readonly subject: Subject;
  readonly built: Built;
  readonly samples: Sample[];
  readonly failures: Array<{ readonly run: number; readonly problem: string; readonly log: string }>;
}

/** The size of a zip archive holding these files, deflated (what CDK uploads for a function's asset). */
function zipSize(files: readonly string[]): number {
  return files.reduce((total, file) => {
    const name = basename(file);
    const compressed = deflateRawSync(readFileSync(file), { level: 9 }).length;
    return total + 30 + name.length + compressed + 46 + name.length;
  }, 22);
}

async function bundle(subject: Subject): Promise<Built> {
  const dir = join(OUT, subject.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, ''));
  mkdirSync(dir, { recursive: true });
  const file = join(dir, BUILD.file);
  await build({ ...BUILD.options, entryPoints: [subject.entry], outfile: file, logLevel: 'error' });
  const files = readdirSync(dir).map((name) => join(dir, name));
  return { dir, file, minified: statSync(file).size, zipped: zipSize(files) };
}

/** The environment Lambda would give the function: the construct's settings and the stand-ins' resources. */
function functionEnv(standIns: StandIns, subject: Subject, dir: string): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...FUNCTION_RUNTIME_ENV,
    ...standIns.env,
    AWS_LAMBDA_FUNCTION_NAME: subject.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: dir,
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One fresh process: spawned, not exec'd in sync, as dynalite and the sandbox answer from this very process. */
function coldStart(subject: Subject, built: Built, event: unknown, env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve) => {
    const args = [RUNNER, built.file, JSON.stringify(event), subject.name, String(subject.timeoutMs)];
    const child = spawn(process.execPath, args, { cwd: built.dir, env, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    let log = '';
    let report = '';
    const keep = (chunk: Buffer) => {
      log = (log + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      report += chunk.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const parsed = runnerReport.safeParse(parseJson(report));
      if (parsed.success) resolve({ report: parsed.data, error: parsed.data.error, log });
      else resolve({ error: `the process ended (${signal ?? `exit ${code}`}) without an answer`, log });
    });
  });
}

/** Every subject once per round, `rounds` rounds; the warm-up round (moto loads each service on first use) is not kept. */
async function measure(subjects: readonly Subject[], standIns: StandIns, rounds: number): Promise<Measured[]> {
  const measured: Measured[] = [];
  for (const subject of subjects) measured.push({ subject, built: await bundle(subject), samples: [], failures: [] });
  let requestNumber = 0;
  for (let round = 0; round <= rounds; round++) {
    for (const row of measured) {
      const event = await row.subject.request.prepare(++requestNumber);
      const outcome = await coldStart(row.subject, row.built, event, functionEnv(standIns, row.subject, row.built.dir));
      const problem = outcome.error ?? (await row.subject.request.verify(outcome.report?.result));
      if (problem) row.failures.push({ run: round, problem, log: outcome.log });
      else if (round > 0 && outcome.report) row.samples.push(outcome.report);
    }
  }
  return measured;
}

const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const ms = (value: number) => (value < 10 ? value.toFixed(1) : value.toFixed(0));
const spread = (values: readonly number[]) =>
  values.length ? `${ms(median(values))} (${ms(Math.min(...values))}–${ms(Math.max(...values))})` : '-';
const kb = (bytes: number) => `${Math.round(bytes / 1024).toLocaleString('en')} KB`;

function verdict(row: Measured, ratio: number): string {
  if (row.failures.length) return `FAILED (${row.failures.length} of ${runs + 1})`;
  if (row.subject.informative) return 'information';
  return ratio <= TARGET ? 'ok' : `over ${TARGET}x`;
}

function printReport(measured: readonly Measured[], baselineTotal: number): void {
  const header = ['function', 'minified', 'zipped', 'load ms', 'first request ms', 'process total ms'];
  const rows = [[...header, 'vs DynamoDB baseline', 'verdict', 'CPU ms', 'RSS']];
  for (const row of measured) {
    const total = median(row.samples.map((s) => s.totalMs));
    const ratio = total / baselineTotal;
    rows.push([
      row.subject.name,
      kb(row.built.minified),
      kb(row.built.zipped),
      spread(row.samples.map((s) => s.loadMs)),
      spread(row.samples.map((s) => s.firstRequestMs)),
      spread(row.samples.map((s) => s.totalMs)),
      Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '-',
      verdict(row, ratio),
      row.samples.length ? ms(median(row.samples.map((s) => s.cpuMs))) : '-',
      row.samples.length ? `${median(row.samples.map((s) => s.rssMb)).toFixed(0)} MB` : '-',
    ]);
  }
  const functions = measured.filter((row) => !row.subject.informative);
  const sum = (size: (built: Built) => number) => functions.reduce((total, row) => total + size(row.built), 0);
  rows.push([`all ${functions.length} functions`, kb(sum((b) => b.minified)), kb(sum((b) => b.zipped))]);
  printTable(rows);
}

function printFailures(measured: readonly Measured[]): void {
  for (const row of measured) {
    const first = row.failures[0];
    if (!first) continue;
    console.log(`\n${row.subject.name}: ${row.failures.length} request(s) failed; run ${first.run}: ${first.problem}`);
    if (first.log.trim()) console.log(`  its log, last lines:\n${first.log.trim().split('\n').slice(-8).join('\n')}`);
  }
}

/** The handlers, each with its first request; a handler without one is a gap to fill in `first-requests.ts`. */
function subjectsOf(requests: Record<string, FirstRequest>): Subject[] {
  const handlers = readdirSync(join(ROOT, 'lambdas', 'handlers')).filter((file) => file.endsWith('.ts'));
  const baselines = join(ROOT, 'scripts', 'bench', 'baseline-handlers');
  const baseline = (name: string, file: string, event: unknown): Subject => ({
    name,
    entry: join(baselines, file),
    timeoutMs: 10_000,
    informative: true,
    request: {
      prepare: async () => event,
      verify: async (answer) =>
        JSON.stringify(answer) === '{"statusCode":200}' ? undefined : `answered ${JSON.stringify(answer)}`,
    },
  });
  return [
    baseline('(empty handler)', 'empty.ts', {}),
    baseline(BASELINE, 'dynamodb-get-item.ts', BASELINE_EVENT),
    ...handlers.map((file) => {
      const name = file.replace(/\.ts$/, '');
      const request = requests[name];
      if (!request) throw new Error(`no first request for ${name}: add one in scripts/bench/first-requests.ts`);
      const timeoutMs = FUNCTION_TIMINGS[name as HandlerName].timeoutSeconds * 1000;
      return { name, entry: join(ROOT, 'lambdas', 'handlers', file), timeoutMs, request };
    }),
  ];
}

async function main() {
  const started = performance.now();
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  // As in a Lambda asset (no package.json), a .js bundle is CommonJS, whatever this project's own type is.
  writeFileSync(join(OUT, 'package.json'), '{ "type": "commonjs" }\n');
  const standIns = await startStandIns();
  try {
    const measured = await measure(subjectsOf(await firstRequests(standIns)), standIns, runs);
    const baseline = measured.find((row) => row.subject.name === BASELINE);
    const baselineTotal = median(baseline?.samples.map((s) => s.totalMs) ?? []);
    console.log(
      `\nLambda bundles and cold starts: ${runs} fresh processes each, round-robin after a warm-up round ` +
        `(Node ${process.version}, ${process.platform}/${process.arch}). Times in ms: median (range).`,
    );
    console.log(
      'Baseline: a bundle whose handler makes one DynamoDB client and one GetItem; target <= 1.15x its total.\n',
    );
    printReport(measured, baselineTotal);
    printFailures(measured);
    console.log(`\n${((performance.now() - started) / 1000).toFixed(0)} s in all.`);
    if (measured.some((row) => row.failures.length)) process.exitCode = 1;
  } finally {
    await standIns.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
