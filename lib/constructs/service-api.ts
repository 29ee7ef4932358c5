import { Lazy, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CfnStage, HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnPermission, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { type RouteSpec, routeKey } from '../../lambdas/shared/routes';
import { acknowledgeControl, CONTROL_TOWER_RULES } from './control-tower';
import { ServiceLogsKey } from './service-logs-key';

/**
 * The route groups that are throttled apart, so that a flood on one cannot spend another's budget. TikTok's webhooks
 * are not among them: they reach the webhook function's own URL, which has no rate throttle, only the function's
 * reserved concurrency (`TikTokShopAuthProps.webhookConcurrency`).
 */
export type ThrottledRouteGroup = 'callback' | 'internal';

export interface RouteThrottle {
  /** Requests a second, on average. */
  readonly rateLimit: number;
  /** Requests at once (the token bucket's size). */
  readonly burstLimit: number;
}

/**
 * The defaults, sized from the README's load model (1.5 shops a seller, 24 credential reads a shop a day) for
 * 100,000 sellers at 10 times the daily average: credential reads 42/s, 417/s at peak; callbacks (1.5 authorizations
 * a seller a year) well under 1/s even in a launch. All routes at their limits together take 4,010 of the account's
 * 10,000 requests a second.
 */
export const DEFAULT_ROUTE_THROTTLES: Readonly<Record<ThrottledRouteGroup, RouteThrottle>> = {
  // Each callback costs a call to TikTok's token endpoint with the app's credentials, even for a made-up code.
  callback: { rateLimit: 10, burstLimit: 50 },
  // Per IAM route; the credentials route carries nearly all of it.
  internal: { rateLimit: 500, burstLimit: 1000 },
};

/** The highest rate or burst a route may be given: the account's default for all its APIs in a region. */
export const MAX_ROUTE_LIMIT = 10_000;

/** How much each route group admits; each limit applies to each route of its group. */
export interface ApiThrottles {
  /** Requests a second `GET /oauth/callback` admits on average. @default 10 */
  readonly callbackRateLimit?: number;
  /** Requests `GET /oauth/callback` admits at once. @default 50 */
  readonly callbackBurstLimit?: number;
  /** Requests a second each IAM route admits on average. @default 500 */
  readonly internalRateLimit?: number;
  /** Requests each IAM route admits at once. @default 1000 */
  readonly internalBurstLimit?: number;
}

export interface ServiceApiProps extends ApiThrottles {
  /**
   * How long the access logs are kept: Control Tower's CT.CLOUDWATCH.PR.2 wants a year at least.
   * @default RetentionDays.ONE_YEAR
   */
  readonly accessLogRetention?: RetentionDays;
  /**
   * The KMS key the access logs are encrypted with (CT.CLOUDWATCH.PR.3); its policy must let CloudWatch Logs use it.
   * @default the stack's `ServiceLogsKey`, shared by the service's log groups
   */
  readonly accessLogEncryptionKey?: IKey;
}

const THROTTLE_KEYS = {
  callback: ['callbackRateLimit', 'callbackBurstLimit'],
  internal: ['internalRateLimit', 'internalBurstLimit'],
} as const satisfies Record<ThrottledRouteGroup, readonly [keyof ApiThrottles, keyof ApiThrottles]>;

/** Each group's limits with the defaults filled in. */
export function resolveThrottles(throttles: ApiThrottles): Record<ThrottledRouteGroup, RouteThrottle> {
  const resolve = (group: ThrottledRouteGroup): RouteThrottle => {
    const [rate, burst] = THROTTLE_KEYS[group];
    return {
      rateLimit: throttles[rate] ?? DEFAULT_ROUTE_THROTTLES[group].rateLimit,
      burstLimit: throttles[burst] ?? DEFAULT_ROUTE_THROTTLES[group].burstLimit,
    };
  };
  return { callback: resolve('callback'), internal: resolve('internal') };
}

/** What is wrong with the given limits (defaults filled in), by the name of the setting; empty when nothing. */
export function throttleProblems(throttles: ApiThrottles): Array<{ key: keyof ApiThrottles; message: string }> {
  const resolved = resolveThrottles(throttles);
  const problems: Array<{ key: keyof ApiThrottles; message: string }> = [];
  for (const group of ['callback', 'internal'] as const) {
    const [rateKey, burstKey] = THROTTLE_KEYS[group];
    const { rateLimit, burstLimit } = resolved[group];
    for (const [key, value] of [
      [rateKey, rateLimit],
      [burstKey, burstLimit],
    ] as const) {
      if (!Number.isInteger(value) || value < 1 || value > MAX_ROUTE_LIMIT) {
        problems.push({
          key,
          message: `must be a whole number from 1 to ${MAX_ROUTE_LIMIT.toLocaleString('en-US')} (the account's default for all its APIs); got ${value}`,
        });
      }
    }
    if (burstLimit < rateLimit) {
      const given = throttles[burstKey] === undefined ? ' (the default)' : '';
      problems.push({
        key: burstKey,
        message: `must be at least ${rateKey} (${rateLimit}), so that a second's requests fit in one burst; got ${burstLimit}${given}`,
      });
    }
  }
  return problems;
}

/**
 * TikTok's webhooks, where they are a route of the API (`webhookEndpoint: 'http-api'`, for the regions without
 * function URLs): the limits the route had before it moved to the function's URL; the function's reserved
 * concurrency bounds them too.
 */
export const WEBHOOK_ROUTE_THROTTLE: RouteThrottle = { rateLimit: 1000, burstLimit: 2000 };

/** Which throttle a route falls under: every IAM route is internal; the callback has its own. */
export function throttleGroupOf(route: RouteSpec): ThrottledRouteGroup {
  if (route.access === 'iam') return 'internal';
  if (route.group === 'oauth-callback') return 'callback';
  throw new Error(`${routeKey(route)} is public but belongs to no throttled group: give it one in ServiceApi`);
}

/** Why a public route needs no IAM signature: what protects it in its function instead. */
const PUBLIC_ROUTE_REASONS: Partial<Record<RouteSpec['group'], string>> = {
  'oauth-callback':
    "a seller's browser, which cannot sign with IAM; it is protected in the function (the one-time state)",
  'tiktok-webhook':
    "TikTok, which cannot sign with IAM; the function checks TikTok's HMAC signature over the raw body before anything else",
};

/**
 * The HTTP API: the callback for sellers' browsers, internal routes behind the IAM authorizer, a throttle per route
 * group (callback, internal) so that a flood on one route cannot spend another's budget, and access logs that hold
 * the route, never the path or query (the callback's query carries the auth code and the state). Routes served by a
 * function's own URL (TikTok's webhooks) are not added here.
 */
export class ServiceApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;
  /** Each route group's limits, defaults filled in. */
  public readonly throttles: Readonly<Record<ThrottledRouteGroup, RouteThrottle>>;
  private readonly integrations = new Map<IFunction, HttpLambdaIntegration>();
  /** CloudFormation's JSON, by route key: its own (PascalCase) names, since CDK passes a JSON property as it is. */
  private readonly routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};

  constructor(scope: Construct, id: string, props: ServiceApiProps = {}) {
    super(scope, id);
    const problems = throttleProblems(props);
    if (problems.length > 0) {
      throw new Error(`ServiceApi throttles: ${problems.map(({ key, message }) => `${key} ${message}`).join('; ')}`);
    }
    this.throttles = resolveThrottles(props);
    this.api = new HttpApi(this, 'Api', {
      description: 'tiktok-shop-auth: the Redirect URL callback and the internal API',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.ONE_YEAR,
      encryptionKey: props.accessLogEncryptionKey ?? ServiceLogsKey.of(this),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      // Every route gets its group's limits below; a route added to the API some other way gets the tightest.
      throttle: this.throttles.callback,
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            route: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
            caller: '$context.identity.userArn',
          }),
        ),
      },
    });
    const stage = this.stage.node.defaultChild;
    if (!(stage instanceof CfnStage)) throw new Error('HttpStage should hold a CfnStage');
    stage.routeSettings = Lazy.any({
      produce: () => (Object.keys(this.routeSettings).length > 0 ? this.routeSettings : undefined),
    });
  }

  /** The stage's base URL, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }

  /** Adds the route with its group's throttle. */
  addRoute(route: RouteSpec, handler: IFunction): void {
    let integration = this.integrations.get(handler);
    if (!integration) {
      integration = new HttpLambdaIntegration(`${handler.node.id}Integration`, handler);
      this.integrations.set(handler, integration);
    }
    const [created] = this.api.addRoutes({
      path: route.path,
      methods: [HttpMethod[route.method]],
      integration,
      ...(route.access === 'iam' ? { authorizer: new HttpIamAuthorizer() } : {}),
    });
    if (!created) throw new Error(`the API created no route for ${routeKey(route)}`);
    const { rateLimit, burstLimit } =
      route.group === 'tiktok-webhook' ? WEBHOOK_ROUTE_THROTTLE : this.throttles[throttleGroupOf(route)];
    this.routeSettings[routeKey(route)] = { ThrottlingRateLimit: rateLimit, ThrottlingBurstLimit: burstLimit };
    // API Gateway refuses settings for a route key that does not exist yet.
    this.stage.node.addDependency(created);
    limitInvokeToThisAccount(created);
    if (route.access === 'public') {
      const reason = `${route.method} ${route.path} is called by ${PUBLIC_ROUTE_REASONS[route.group] ?? 'the public'}.`;
      Validations.of(created).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      acknowledgeControl(created, CONTROL_TOWER_RULES.routeAuthorization, reason);
    }
  }
}

/**
 * The route's permission to invoke its function names this account as the source too, not only the API's ARN
 * (Control Tower's CT.LAMBDA.PR.2). In an environment-agnostic synth the account is `AWS::AccountId`, which the
 * local cfn-guard rule cannot read (it wants a string); the CloudFormation hook sees the resolved account.
 */
function limitInvokeToThisAccount(route: Construct): void {
  const account = Stack.of(route).account;
  for (const permission of route.node.findAll()) {
    if (!(permission instanceof CfnPermission)) continue;
    permission.sourceAccount = account;
    if (Token.isUnresolved(account)) {
      acknowledgeControl(
        permission,
        CONTROL_TOWER_RULES.lambdaPermissionSource,
        "SourceAccount is the stack's account, which an environment-agnostic synth writes as AWS::AccountId: only the deploy-time hook can read it. A synth for a named account passes this rule.",
      );
    }
  }
}
