import { existsSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { packageRoot } from '../package-root';
import { acknowledgeControl, CONTROL_TOWER_RULES } from './control-tower';
import { ServiceLogsKey } from './service-logs-key';

/** Where functions log: the props of every construct that makes `ServiceFunction`s, passed on to each of them. */
export interface FunctionLogProps {
  /**
   * How long a function's log group keeps log lines: Control Tower's CT.CLOUDWATCH.PR.2 wants a year at least.
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: RetentionDays;
  /**
   * The KMS key a function's log group is encrypted with (CT.CLOUDWATCH.PR.3); its policy must let CloudWatch Logs
   * use it. @default the stack's `ServiceLogsKey`, shared by the service's log groups
   */
  readonly logEncryptionKey?: IKey;
}

/** The log settings of `props`, to pass on to a `ServiceFunction`. */
export const functionLogs = ({ logRetention, logEncryptionKey }: FunctionLogProps): FunctionLogProps => ({
  logRetention,
  logEncryptionKey,
});

export interface ServiceFunctionProps extends FunctionLogProps {
  /** The handler's source file, relative to the project root or absolute. */
  readonly entry: string;
  readonly description: string;
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 256 */
  readonly memorySize?: number;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /**
   * What the handler's work may take (`TIME_BUDGET_MS`), every call included: less than the timeout, the rest
   * its margin. @default the handler's own, from the timings table
   */
  readonly timeBudgetMs?: number;
  /** Powertools' log level. @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Caps the function's concurrency. @default no reservation */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Lambda's own log lines (START, REPORT): WARN drops them, for functions whose volume makes logs a large
   * cost. @default SystemLogLevel.INFO
   */
  readonly systemLogLevel?: SystemLogLevel;
  /** @default Tracing.ACTIVE; PASS_THROUGH for the hottest paths, where sampled traces cost more than they tell */
  readonly tracing?: Tracing;
}

/**
 * The house Lambda: Node.js 24 on ARM64, bundled and minified by esbuild with source maps, X-Ray tracing, its own
 * log group (encrypted with KMS, kept a year by default), and its own role that may write only to that log group.
 * Every function of the service is one of these, so no stack repeats these settings; callers grant each one only
 * what it uses.
 */
export class ServiceFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: Role;
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      encryptionKey: props.logEncryptionKey ?? ServiceLogsKey.of(this),
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // A role of its own, instead of the managed AWSLambdaBasicExecutionRole that may write to any log group.
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${Stack.of(this).stackName}/${id}`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      ...bundlingRoot(props.entry),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      systemLogLevelV2: props.systemLogLevel ?? SystemLogLevel.INFO,
      tracing: props.tracing ?? Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        ...RUNTIME_ENVIRONMENT,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? 'INFO',
        ...(props.timeBudgetMs === undefined ? {} : { TIME_BUDGET_MS: String(props.timeBudgetMs) }),
        ...props.environment,
      },
      bundling: handlerBundling(),
    });

    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'X-Ray PutTraceSegments and PutTelemetryRecords do not support resource-level permissions.',
    });
    acknowledgeControl(
      this.function,
      CONTROL_TOWER_RULES.lambdaInsideVpc,
      "It reaches only public endpoints (TikTok's APIs, and AWS services over TLS with IAM) and nothing in a private network; a VPC would add NAT gateways or interface endpoints to every deployment and guard no data.",
    );
  }
}

/**
 * What every function's environment holds besides its own settings (the benchmarks run with the same). Not
 * `NODE_OPTIONS=--enable-source-maps`: Node would read and parse the bundle's source map at every cold start, the
 * largest part of loading it (measured: more CPU than the SDK's DynamoDB client). Stack traces point into the bundle;
 * its source map is beside it in the function's asset for whoever needs to read one.
 */
export const RUNTIME_ENVIRONMENT = {
  POWERTOOLS_SERVICE_NAME: 'tiktok-shop-auth',
  POWERTOOLS_METRICS_NAMESPACE: 'TikTokShopAuth',
} as const;

/**
 * How every handler is bundled (the benchmarks build with the same): one minified CommonJS file with its source map,
 * the AWS SDK inside it (a pinned version, and faster to load than the runtime's copy from many files). Packages are
 * read from their ES modules (`module` before `main`): esbuild can drop what a handler never imports from them, where
 * the SDK's CommonJS builds are one file per package. The SDK's credential chain is replaced by the one a function
 * uses (`lambdas/shared/lambda-credentials.ts`), and its event streams, which no call of this service makes, by a
 * module that says so (`lambdas/shared/no-event-streams.ts`); so is DynamoDB's cache of discovered endpoints, which
 * stays empty (`lambdas/shared/no-endpoint-discovery.ts`).
 */
export function handlerBundling() {
  return {
    minify: true,
    sourceMap: true,
    // The map names each source file and position; the sources are in the repository, not in every asset.
    sourcesContent: false,
    target: 'node24',
    format: OutputFormat.CJS,
    bundleAwsSDK: true,
    mainFields: ['module', 'main'],
    esbuildArgs: {
      '--alias': [
        `@aws-sdk/credential-provider-node=${sharedModule('lambda-credentials.ts')}`,
        `@smithy/core/event-streams=${sharedModule('no-event-streams.ts')}`,
        `@aws-sdk/endpoint-cache=${sharedModule('no-endpoint-discovery.ts')}`,
      ],
    },
  } satisfies BundlingOptions;
}

/** A module of `lambdas/shared`, by its absolute path (esbuild resolves an alias's target from where it runs). */
const sharedModule = (name: string) => join(packageRoot(), 'lambdas', 'shared', name);

/**
 * Where esbuild resolves a handler's imports from. In this project (its lock file beside the handlers), the project
 * itself, whatever directory the CDK app runs from; installed in another project, CDK's default: that project's lock
 * file, found from where `cdk` runs, whose node_modules hold this package and its dependencies.
 */
function bundlingRoot(entry: string): { projectRoot?: string; depsLockFilePath?: string } {
  const root = packageRoot();
  const lockFile = join(root, 'package-lock.json');
  const inside = resolve(entry).startsWith(`${root}${sep}`);
  return inside && existsSync(lockFile) ? { projectRoot: root, depsLockFilePath: lockFile } : {};
}
