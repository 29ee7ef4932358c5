import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as z from 'zod';
import { ROUTES, routeKey } from '../../../lambdas/shared/routes';
import { TikTokShopAuthStack, type TikTokShopAuthStackProps } from '../../../lib/tiktok-shop-auth-stack';
import { type CfnTemplate, logicalIdsOf, referencedId, resourceOf, templateSchema } from './cloudformation';

export const STACK_NAME = 'TikTokShopAuth';

/** A Lambda function as the template declares it, with the directory its bundle was written to. */
export interface FunctionSpec {
  readonly logicalId: string;
  /** The logical id without CDK's hash and `Function` suffix, e.g. `SellerJourneyOAuthCallback`. */
  readonly name: string;
  /** The bundle's directory (`asset.<hash>`), what Lambda unpacks into its task root. */
  readonly codeDirectory: string;
  /** e.g. `index.handler`. */
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** `Environment.Variables`, intrinsics unresolved. */
  readonly environment: Readonly<Record<string, unknown>>;
  readonly roleLogicalId: string;
}

/** An HTTP API route and the function its integration invokes. */
export interface RouteSpec {
  readonly routeKey: string;
  readonly authorizationType: string;
  readonly functionLogicalId: string;
}

/** A Lambda function URL: it hands its function every method and path, as the route `$default`. */
export interface FunctionUrlSpec {
  readonly logicalId: string;
  readonly authType: string;
  readonly functionLogicalId: string;
}

/** An SQS event source mapping. */
export interface QueueTriggerSpec {
  readonly queueLogicalId: string;
  readonly functionLogicalId: string;
  readonly batchSize: number;
  readonly reportsBatchItemFailures: boolean;
}

/** An EventBridge Scheduler schedule that invokes a function with a role of its own. */
export interface ScheduleSpec {
  readonly expression: string;
  readonly functionLogicalId: string;
  readonly roleLogicalId: string;
  /** Where Scheduler puts an invocation it could not make. */
  readonly deadLetterQueueLogicalId?: string;
}

export interface SynthesizedStack {
  readonly template: CfnTemplate;
  readonly functions: readonly FunctionSpec[];
  readonly routes: readonly RouteSpec[];
  readonly functionUrls: readonly FunctionUrlSpec[];
  readonly queueTriggers: readonly QueueTriggerSpec[];
  readonly schedules: readonly ScheduleSpec[];
}

const functionProperties = z.object({
  Code: z.object({ S3Key: z.string().regex(/^[0-9a-f]{64}\.zip$/) }),
  Handler: z.string(),
  Timeout: z.number().int().positive(),
  MemorySize: z.number().int().positive(),
  Environment: z.object({ Variables: z.record(z.string(), z.unknown()) }).default({ Variables: {} }),
  Role: z.unknown(),
});

const routeProperties = z.object({
  RouteKey: z.string(),
  AuthorizationType: z.string().default('NONE'),
  Target: z.object({ 'Fn::Join': z.tuple([z.literal(''), z.tuple([z.literal('integrations/'), z.unknown()])]) }),
});

const functionUrlProperties = z.object({ AuthType: z.string(), TargetFunctionArn: z.unknown() });

const mappingProperties = z.object({
  EventSourceArn: z.unknown(),
  FunctionName: z.unknown(),
  BatchSize: z.number().int().default(10),
  FunctionResponseTypes: z.array(z.string()).default([]),
});

const scheduleProperties = z.object({
  ScheduleExpression: z.string(),
  Target: z.object({
    Arn: z.unknown(),
    RoleArn: z.unknown(),
    DeadLetterConfig: z.object({ Arn: z.unknown() }).optional(),
  }),
});

function required(id: string | undefined, what: string): string {
  if (!id) throw new Error(`the template does not say ${what}`);
  return id;
}

/** The context `cdk.json` gives every `cdk synth` and `cdk deploy`: the pinned feature flags. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = z
    .object({ context: z.record(z.string(), z.unknown()).default({}) })
    .parse(JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'cdk.json'), 'utf8')));
  return cdkJson.context;
}

/**
 * Synthesizes the real stack as `bin/app.ts` builds it under `cdk deploy` (cdk.json's feature flags, real bundling
 * with esbuild), and reads back what a deployment would be made of: the template, each function's bundle and
 * settings, and what invokes each function.
 */
export function synthesizeStack(outdir: string, props: TikTokShopAuthStackProps): SynthesizedStack {
  const app = new App({ outdir, context: cdkJsonContext() });
  new TikTokShopAuthStack(app, STACK_NAME, props);
  app.synth();
  const template = templateSchema.parse(JSON.parse(readFileSync(join(outdir, `${STACK_NAME}.template.json`), 'utf8')));

  const functions = logicalIdsOf(template, 'AWS::Lambda::Function').map((logicalId): FunctionSpec => {
    const properties = functionProperties.parse(resourceOf(template, logicalId, 'AWS::Lambda::Function').Properties);
    const codeDirectory = join(outdir, `asset.${properties.Code.S3Key.replace(/\.zip$/, '')}`);
    if (!existsSync(join(codeDirectory, 'index.js'))) throw new Error(`${logicalId}: no bundle in ${codeDirectory}`);
    return {
      logicalId,
      name: logicalId.replace(/[0-9A-F]{8}$/, '').replace(/Function$/, ''),
      codeDirectory,
      handler: properties.Handler,
      timeoutSeconds: properties.Timeout,
      memorySize: properties.MemorySize,
      environment: properties.Environment.Variables,
      roleLogicalId: required(referencedId(properties.Role), `${logicalId}'s role`),
    };
  });

  const routes = logicalIdsOf(template, 'AWS::ApiGatewayV2::Route').map((logicalId): RouteSpec => {
    const route = routeProperties.parse(resourceOf(template, logicalId, 'AWS::ApiGatewayV2::Route').Properties);
    const integrationId = required(referencedId(route.Target['Fn::Join'][1][1]), `${logicalId}'s integration`);
    const integration = resourceOf(template, integrationId, 'AWS::ApiGatewayV2::Integration').Properties;
    return {
      routeKey: route.RouteKey,
      authorizationType: route.AuthorizationType,
      functionLogicalId: required(referencedId(integration.IntegrationUri), `${integrationId}'s function`),
    };
  });

  const functionUrls = logicalIdsOf(template, 'AWS::Lambda::Url').map((logicalId): FunctionUrlSpec => {
    const url = functionUrlProperties.parse(resourceOf(template, logicalId, 'AWS::Lambda::Url').Properties);
    return {
      logicalId,
      authType: url.AuthType,
      functionLogicalId: required(referencedId(url.TargetFunctionArn), `${logicalId}'s function`),
    };
  });

  const queueTriggers = logicalIdsOf(template, 'AWS::Lambda::EventSourceMapping').map((logicalId) => {
    const mapping = mappingProperties.parse(
      resourceOf(template, logicalId, 'AWS::Lambda::EventSourceMapping').Properties,
    );
    return {
      queueLogicalId: required(referencedId(mapping.EventSourceArn), `${logicalId}'s queue`),
      functionLogicalId: required(referencedId(mapping.FunctionName), `${logicalId}'s function`),
      batchSize: mapping.BatchSize,
      reportsBatchItemFailures: mapping.FunctionResponseTypes.includes('ReportBatchItemFailures'),
    };
  });

  const schedules = logicalIdsOf(template, 'AWS::Scheduler::Schedule').map((logicalId) => {
    const schedule = scheduleProperties.parse(resourceOf(template, logicalId, 'AWS::Scheduler::Schedule').Properties);
    return {
      expression: schedule.ScheduleExpression,
      functionLogicalId: required(referencedId(schedule.Target.Arn), `${logicalId}'s target`),
      roleLogicalId: required(referencedId(schedule.Target.RoleArn), `${logicalId}'s role`),
      deadLetterQueueLogicalId: referencedId(schedule.Target.DeadLetterConfig?.Arn),
    };
  });

  return { template, functions, routes, functionUrls, queueTriggers, schedules };
}

/** The function with this logical id prefix (CDK's ids are stable: the stack promises to keep them). */
export function functionNamed(stack: SynthesizedStack, logicalIdPrefix: string): FunctionSpec {
  const found = stack.functions.filter((spec) => spec.logicalId.startsWith(logicalIdPrefix));
  if (found.length !== 1) throw new Error(`expected one function ${logicalIdPrefix}*, found ${found.length}`);
  const [spec] = found;
  if (!spec) throw new Error(`no function ${logicalIdPrefix}*`);
  return spec;
}

/**
 * The function that serves a route: the one its API integration invokes or, for a route the service says is served
 * by a function's own URL (the webhook), the function of the template's one function URL.
 */
export function functionOfRoute(stack: SynthesizedStack, key: string): FunctionSpec {
  const route = stack.routes.find((candidate) => candidate.routeKey === key);
  const byUrl = ROUTES.some((candidate) => routeKey(candidate) === key && candidate.edge === 'function-url');
  const [functionUrl, ...more] = byUrl ? stack.functionUrls : [];
  const logicalId = route?.functionLogicalId ?? (more.length === 0 ? functionUrl?.functionLogicalId : undefined);
  const spec = stack.functions.find((candidate) => candidate.logicalId === logicalId);
  if (!spec) throw new Error(`no function serves ${key}`);
  return spec;
}
