import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { RouteSpec } from '../../lambdas/shared/routes';

export interface ServiceApiProps {
  /** Requests per second the stage admits on average. @default 50 */
  readonly rateLimit?: number;
  /** Requests the stage admits in a burst. @default 100 */
  readonly burstLimit?: number;
  /** @default RetentionDays.THREE_MONTHS */
  readonly accessLogRetention?: RetentionDays;
}

/**
 * The HTTP API: public routes for TikTok and sellers' browsers, internal routes behind the IAM authorizer, stage
 * throttling, and access logs that hold the route, never the path or query (the callback's query carries the
 * auth code and the state).
 */
export class ServiceApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  public readonly accessLogs: LogGroup;
  private readonly integrations = new Map<IFunction, HttpLambdaIntegration>();

  constructor(scope: Construct, id: string, props: ServiceApiProps = {}) {
    super(scope, id);
    this.api = new HttpApi(this, 'Api', {
      description: 'tiktok-shop-auth: the Redirect URL callback, TikTok webhooks and the internal API',
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.accessLogRetention ?? RetentionDays.THREE_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.rateLimit ?? 50, burstLimit: props.burstLimit ?? 100 },
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
  }

  /** The stage's base URL, ending in `/`. */
  get url(): string {
    return this.stage.url;
  }

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
    if (route.access === 'public' && created) {
      Validations.of(created).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: `${route.method} ${route.path} is called by TikTok or a seller's browser, which cannot sign with IAM; it is protected in the function (one-time state, or the webhook HMAC signature).`,
      });
    }
  }
}
