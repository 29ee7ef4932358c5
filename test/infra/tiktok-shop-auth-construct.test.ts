import { tmpdir } from 'node:os';
import { CfnParameter, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { TikTokShopAuth } from '../../lib/tiktok-shop-auth';
import { TEST_SETTINGS, testApp } from './synth';

/** The construct as a platform team uses it: inside a stack of theirs, next to their own resources. */
describe('the TikTokShopAuth construct in a stack of your own', () => {
  const build = (
    configure: (stack: Stack) => Partial<ConstructorParameters<typeof TikTokShopAuth>[2]> = () => ({}),
  ) => {
    const stack = new Stack(testApp(), 'PlatformStack');
    const service = new TikTokShopAuth(stack, 'TikTokShopAuth', { ...TEST_SETTINGS, ...configure(stack) });
    return { stack, service, template: Template.fromStack(stack) };
  };

  it('builds from any working directory: the handlers are found from the module, not from where cdk runs', () => {
    const cwd = process.cwd();
    process.chdir(tmpdir());
    try {
      const { template } = build();
      template.resourceCountIs('AWS::Lambda::Function', 8);
    } finally {
      process.chdir(cwd);
    }
  });

  it('creates its own table, keys, secret and bus, kept when the stack goes, by default', () => {
    const { template } = build();

    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    // The keys that hold data: without them no stored token opens.
    for (const description of ['Seals TikTok Shop sellers tokens', 'Encrypts the tiktok-shop-auth table']) {
      template.hasResource('AWS::KMS::Key', {
        DeletionPolicy: 'Retain',
        Properties: Match.objectLike({ Description: Match.stringLikeRegexp(description) }),
      });
    }
    template.resourceCountIs('AWS::Events::EventBus', 1);
  });

  it('leaves nothing behind in a short-lived environment with RemovalPolicy.DESTROY', () => {
    const { template } = build(() => ({ removalPolicy: RemovalPolicy.DESTROY }));

    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Delete',
      Properties: Match.objectLike({ DeletionProtectionEnabled: false }),
    });
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
    for (const description of ['Seals TikTok Shop sellers tokens', 'Encrypts the tiktok-shop-auth table']) {
      template.hasResource('AWS::KMS::Key', {
        DeletionPolicy: 'Delete',
        Properties: Match.objectLike({ Description: Match.stringLikeRegexp(description) }),
      });
    }
  });

  it('uses the table, key, secret and bus you bring, and creates none of its own', () => {
    const { template, service, stack } = build((scope) => ({
      table: Table.fromTableName(scope, 'Theirs', 'platform-grants'),
      sealingKey: Key.fromKeyArn(scope, 'TheirKey', 'arn:aws:kms:eu-west-1:111122223333:key/their-key'),
      appSecret: Secret.fromSecretNameV2(scope, 'TheirSecret', 'platform/tiktok-app'),
      eventBus: EventBus.fromEventBusName(scope, 'TheirBus', 'platform-events'),
    }));

    template.resourceCountIs('AWS::DynamoDB::Table', 0);
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::Events::EventBus', 0);
    // Only the logs' key remains, if any: none seals tokens.
    expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).not.toContain('Seals TikTok Shop');
    expect(stack.resolve(service.table.tableName)).toBe('platform-grants');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ TABLE_NAME: 'platform-grants', EVENT_BUS_NAME: 'platform-events' }),
      },
    });
  });

  it('serves the API under your domain, and gives that domain to Partner Center for the Redirect URL only', () => {
    const { template, service, stack } = build((scope) => ({
      customDomain: {
        domainName: 'tiktok.app.example.com',
        certificate: Certificate.fromCertificateArn(
          scope,
          'Certificate',
          'arn:aws:acm:eu-west-1:111122223333:certificate/their-certificate',
        ),
      },
    }));

    template.hasResourceProperties('AWS::ApiGatewayV2::DomainName', { DomainName: 'tiktok.app.example.com' });
    template.resourceCountIs('AWS::ApiGatewayV2::ApiMapping', 1);
    expect(stack.resolve(service.redirectUrl)).toBe('https://tiktok.app.example.com/oauth/callback');
    // TikTok's webhooks stay on the webhook function's own URL.
    expect(stack.resolve(service.webhookUrl)).toEqual({
      'Fn::Join': [
        '',
        [
          { 'Fn::GetAtt': [expect.stringMatching(/^TikTokShopAuthWebhooksFunctionFunctionUrl/), 'FunctionUrl'] },
          'webhooks/tiktok',
        ],
      ],
    });
  });

  it('keeps every log group, the functions’ and the API’s, as long as asked (a year by default)', () => {
    const byDefault = build().template.findResources('AWS::Logs::LogGroup');
    const longer = build(() => ({ logRetention: RetentionDays.TWO_YEARS })).template.findResources(
      'AWS::Logs::LogGroup',
    );

    expect(Object.values(byDefault).map((group) => group.Properties.RetentionInDays)).toEqual(
      Object.values(byDefault).map(() => 365),
    );
    expect(Object.keys(longer).length).toBe(9);
    for (const group of Object.values(longer)) expect(group.Properties.RetentionInDays).toBe(731);
  });

  it('names every wrong prop before building anything, rather than deploying functions that refuse to start', () => {
    expect(() =>
      build(() => ({ successUrl: 'app.example.com/ok', refreshAheadHours: 200, reminderMilestones: [] })),
    ).toThrow(
      /^TikTokShopAuth props: successUrl: must be an http\(s\) URL; reminderMilestones: .+; refreshAheadHours: .+$/,
    );
    expect(() => build(() => ({ removalPolicy: RemovalPolicy.SNAPSHOT }))).toThrow(
      'TikTokShopAuth removalPolicy: RETAIN or DESTROY, not snapshot',
    );
  });

  it('takes values known only at deploy time as they are', () => {
    const { template } = build((scope) => ({ successUrl: new CfnParameter(scope, 'SuccessUrl').valueAsString }));

    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ SUCCESS_URL: { Ref: 'SuccessUrl' } }) },
    });
  });

  it('passes the throttles on to the API’s routes, and the webhook concurrency to the webhook function', () => {
    const { template } = build(() => ({ callbackRateLimit: 5, callbackBurstLimit: 20, webhookConcurrency: 30 }));

    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: Match.objectLike({
        'GET /oauth/callback': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 20 },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp("^TikTok's webhooks"),
      ReservedConcurrentExecutions: 30,
    });
  });
});
