import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import * as z from 'zod';
import { REGION } from './cloudformation';
import type { FunctionSpec } from './synthesized-stack';

const RUNTIME = join(__dirname, 'lambda-runtime.cjs');

const errorSchema = z.object({ name: z.string(), message: z.string(), stack: z.string().optional() });
const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('init-error'), error: errorSchema }),
  z.object({
    type: z.literal('result'),
    id: z.number(),
    ok: z.boolean(),
    result: z.unknown().optional(),
    error: errorSchema.optional(),
    durationMs: z.number(),
  }),
]);

/** A function's invocation ended in an error (thrown, or Lambda's timeout), as Lambda would report it. */
export class FunctionInvocationError extends Error {
  constructor(functionName: string, error: z.infer<typeof errorSchema>, output: string) {
    super(`${functionName} failed: ${error.name}: ${error.message}\n--- its output (tail) ---\n${output.slice(-4000)}`);
    this.name = 'FunctionInvocationError';
  }
}

export interface LambdaProcessOptions {
  readonly spec: FunctionSpec;
  /** The template's `Environment.Variables`, resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** Names the function's role to the proxy. */
  readonly accessKeyId: string;
  /** Every AWS call of the function goes here (`AWS_ENDPOINT_URL`). */
  readonly awsEndpoint: string;
  /** A path where no AWS config or credentials file is: only the environment counts. */
  readonly noAwsConfig: string;
}

/**
 * One function's bundle in a Node.js process of its own, with the environment Lambda would give it (the template's
 * variables, Lambda's own, and credentials that name its role), invoked over IPC.
 */
export class LambdaProcess {
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private nextId = 1;
  private text = '';

  private constructor(
    readonly spec: FunctionSpec,
    private readonly child: ChildProcess,
  ) {}

  static async start(options: LambdaProcessOptions): Promise<LambdaProcess> {
    const { spec } = options;
    const child = fork(RUNTIME, [String(spec.timeoutSeconds * 1000)], {
      execPath: process.execPath,
      execArgv: [],
      cwd: spec.codeDirectory,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        LANG: 'en_US.UTF-8',
        TZ: 'UTC',
        ...options.environment,
        AWS_REGION: REGION,
        AWS_DEFAULT_REGION: REGION,
        AWS_ACCESS_KEY_ID: options.accessKeyId,
        AWS_SECRET_ACCESS_KEY: 'deployed-test-secret-access-key',
        AWS_SESSION_TOKEN: `session-of-${spec.name}`,
        AWS_ENDPOINT_URL: options.awsEndpoint,
        AWS_CONFIG_FILE: options.noAwsConfig,
        AWS_SHARED_CREDENTIALS_FILE: options.noAwsConfig,
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
        AWS_LAMBDA_LOG_STREAM_NAME: 'deployed-test',
        LAMBDA_TASK_ROOT: spec.codeDirectory,
        _HANDLER: spec.handler,
      },
    });
    const lambda = new LambdaProcess(spec, child);
    child.stdout?.on('data', (chunk: Buffer) => lambda.capture(chunk));
    child.stderr?.on('data', (chunk: Buffer) => lambda.capture(chunk));
    await new Promise<void>((resolve, reject) => {
      child.on('message', (raw) => {
        const message = messageSchema.parse(raw);
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error')
          reject(new FunctionInvocationError(spec.name, message.error, lambda.text));
        else lambda.settle(message);
      });
      child.once('exit', (code) => {
        const error = new Error(`${spec.name} exited (${code}):\n${lambda.text.slice(-4000)}`);
        reject(error);
        for (const { reject: fail } of lambda.pending.values()) fail(error);
        lambda.pending.clear();
      });
    });
    return lambda;
  }

  /** Invokes the function with `event`; resolves with its result, rejects with its error. */
  invoke(event: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // The runtime cuts the invocation at the function's timeout; this only guards against a runtime that died mute.
      const guard = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new Error(`${this.spec.name} did not answer within its timeout:\n${this.text.slice(-4000)}`));
        },
        this.spec.timeoutSeconds * 1000 + 5000,
      );
      guard.unref();
      this.pending.set(id, {
        resolve: (value) => {
          clearTimeout(guard);
          resolve(value);
        },
        reject: (error) => {
          clearTimeout(guard);
          reject(error);
        },
      });
      this.child.send({ id, event }, (error) => {
        if (error) this.pending.get(id)?.reject(error);
      });
    });
  }

  /** Everything the function wrote to stdout and stderr: its log lines, metrics and errors. */
  output(): string {
    return this.text;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3000).unref())]);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  private capture(chunk: Buffer): void {
    this.text += chunk.toString('utf8');
    if (process.env.DEPLOYED_TEST_ECHO) process.stderr.write(`[${this.spec.name}] ${chunk.toString('utf8')}`);
  }

  private settle(message: Extract<z.infer<typeof messageSchema>, { type: 'result' }>): void {
    const waiting = this.pending.get(message.id);
    this.pending.delete(message.id);
    if (!waiting) return;
    if (message.ok) waiting.resolve(message.result);
    else
      waiting.reject(
        new FunctionInvocationError(this.spec.name, message.error ?? { name: 'Error', message: '?' }, this.text),
      );
  }
}
