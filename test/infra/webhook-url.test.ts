import { Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import { stackSettingsFromContext } from '../../lib/context-settings';
import { TikTokShopAuth, type TikTokShopAuthProps } from '../../lib/tiktok-shop-auth';
import { TikTokShopAuthStack } from '../../lib/tiktok-shop-auth-stack';
import { synthStack, synthWithNag, TEST_SETTINGS, testApp } from './synth';

const settingsFrom = (context: Record<string, string>) =>
  stackSettingsFromContext((key) => ({ ...TEST_SETTINGS, ...context })[key]);

/** The logical id of the one resource of a type whose id starts with `prefix`. */
const onlyId = (template: Template, type: string, prefix: string) => {
  const ids = Object.keys(template.findResources(type)).filter((id) => id.startsWith(prefix));
  if (ids.length !== 1) throw new Error(`expected one ${type} ${prefix}*, found ${ids.join(', ') || 'none'}`);
  return ids[0] ?? '';
};

/** TikTok's webhooks reach the webhook function's own URL: no API Gateway request charge for most of the traffic. */
describe('the webhook URL on AWS', () => {
  const { template } = synthStack();
  const webhookFunction = onlyId(template, 'AWS::Lambda::Function', 'WebhooksFunction');
  const functionUrl = onlyId(template, 'AWS::Lambda::Url', 'WebhooksFunction');

  it('serves the webhook function from a URL of its own, public (TikTok cannot sign with IAM) and without CORS', () => {
    expect(template.findResources('AWS::Lambda::Url')).toEqual({
      [functionUrl]: {
        Type: 'AWS::Lambda::Url',
        Properties: { AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [webhookFunction, 'Arn'] } },
      },
    });
  });

  it('adds no webhook route to the HTTP API, and no API integration reaches the webhook function', () => {
    const routeKeys = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => route.Properties.RouteKey,
    );
    const integrations = Object.values(template.findResources('AWS::ApiGatewayV2::Integration'));

    expect(routeKeys).not.toContainEqual(expect.stringContaining('/webhooks'));
    expect(routeKeys).toContain('GET /oauth/callback');
    expect(JSON.stringify(integrations)).not.toContain(webhookFunction);
  });

  it('lets anyone invoke the webhook function only through its URL, as Lambda asks since October 2025', () => {
    const publicPermissions = Object.values(template.findResources('AWS::Lambda::Permission'))
      .map((permission) => permission.Properties)
      .filter((properties) => properties.Principal === '*');

    expect(publicPermissions).toEqual([
      {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionName: { 'Fn::GetAtt': [webhookFunction, 'Arn'] },
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      },
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [webhookFunction, 'Arn'] },
        InvokedViaFunctionUrl: true,
        Principal: '*',
      },
    ]);
  });

  it('prints the function URL with webhooks/tiktok as the webhook URL for Partner Center', () => {
    expect(template.toJSON().Outputs.WebhookUrl.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [functionUrl, 'FunctionUrl'] }, 'webhooks/tiktok']],
    });
  });

  it('bounds a flood with 100 webhooks at once by default: beyond it Lambda answers 429, which TikTok retries', () => {
    const fn = template.findResources('AWS::Lambda::Function')[webhookFunction];

    expect(fn?.Properties.ReservedConcurrentExecutions).toBe(100);
  });

  it('alarms on 5xx answers to TikTok and on webhooks refused at the reserved concurrency', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((alarm) => alarm.Properties);
    const onWebhooks = alarms.filter((alarm) => JSON.stringify(alarm.Dimensions ?? []).includes(webhookFunction));

    expect(
      onWebhooks.map(({ MetricName, Namespace, Statistic, Period, Threshold }) => ({
        MetricName,
        Namespace,
        Statistic,
        Period,
        Threshold,
      })),
    ).toEqual(
      expect.arrayContaining([
        { MetricName: 'Url5xxCount', Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 300, Threshold: 5 },
        { MetricName: 'Throttles', Namespace: 'AWS/Lambda', Statistic: 'Sum', Period: 300, Threshold: 50 },
      ]),
    );
  });

  describe('webhookConcurrency', () => {
    it('takes the reserved concurrency from CDK context', () => {
      const { props } = settingsFrom({ webhookConcurrency: '250' });

      synthStack(props).template.hasResourceProperties('AWS::Lambda::Function', {
        Description: "TikTok's webhooks: verified, deduplicated, acted on, forwarded to the bus",
        ReservedConcurrentExecutions: 250,
      });
    });

    it.each(['0', '2.5', 'lots'])('refuses %s in CDK context, naming the key', (value) => {
      expect(() => settingsFrom({ webhookConcurrency: value })).toThrow(
        '-c webhookConcurrency: must be a whole number from 1',
      );
    });

    it.each([0, 2.5])('refuses %s given to the construct', (webhookConcurrency) => {
      const stack = new Stack(testApp(), 'Direct');

      expect(() => new TikTokShopAuth(stack, 'Auth', { ...TEST_SETTINGS, webhookConcurrency })).toThrow(
        'TikTokShopAuth props: webhookConcurrency: must be a whole number from 1',
      );
    });
  });

  describe('the webhook throttle it replaced', () => {
    it.each(['webhookRateLimit', 'webhookBurstLimit'])(
      'refuses %s in CDK context, naming webhookConcurrency',
      (key) => {
        expect(() => settingsFrom({ [key]: '1000' })).toThrow(
          `-c ${key}: removed: bound TikTok's webhooks with webhookConcurrency`,
        );
      },
    );

    it('refuses the old single authorizeUrl given to the construct, rather than going back to the preset', () => {
      const stack = new Stack(testApp(), 'OldUrl');
      const fromJavaScript: Partial<TikTokShopAuthProps> = JSON.parse(
        '{"authorizeUrl": "https://services.example/authorize"}',
      );

      expect(() => new TikTokShopAuth(stack, 'Auth', { ...TEST_SETTINGS, ...fromJavaScript })).toThrow(
        'TikTokShopAuth props: authorizeUrl: replaced by authorizeUrlRow and authorizeUrlUs',
      );
    });

    it('refuses it given to the construct from JavaScript, rather than ignoring it', () => {
      const stack = new Stack(testApp(), 'Direct');
      // What a JavaScript app, or settings spread from elsewhere, can still pass.
      const fromJavaScript: Partial<TikTokShopAuthProps> = JSON.parse('{"webhookRateLimit": 1000}');

      expect(() => new TikTokShopAuth(stack, 'Auth', { ...TEST_SETTINGS, ...fromJavaScript })).toThrow(
        "TikTokShopAuth props: webhookRateLimit: removed: bound TikTok's webhooks with webhookConcurrency",
      );
    });
  });

  describe("webhookEndpoint: 'http-api', for the regions without function URLs", () => {
    const onApi = synthStack(settingsFrom({ webhookEndpoint: 'http-api' }).props);
    const webhooks = onlyId(onApi.template, 'AWS::Lambda::Function', 'WebhooksFunction');

    it("takes TikTok's webhooks on a route of the HTTP API, with the throttle that route had, and no function URL", () => {
      const routes = Object.values(onApi.template.findResources('AWS::ApiGatewayV2::Route')).map(
        (route) => route.Properties.RouteKey,
      );
      const stage = Object.values(onApi.template.findResources('AWS::ApiGatewayV2::Stage'))[0]?.Properties;

      expect(routes).toContain('POST /webhooks/tiktok');
      expect(stage?.RouteSettings['POST /webhooks/tiktok']).toEqual({
        ThrottlingRateLimit: 1000,
        ThrottlingBurstLimit: 2000,
      });
      expect(onApi.template.findResources('AWS::Lambda::Url')).toEqual({});
      expect(JSON.stringify(onApi.template.findResources('AWS::ApiGatewayV2::Integration'))).toContain(webhooks);
    });

    it("prints the API's URL with webhooks/tiktok as the webhook URL, and keeps the reserved concurrency", () => {
      const output = JSON.stringify(onApi.template.findOutputs('WebhookUrl'));

      expect(output).toContain('webhooks/tiktok');
      expect(output).not.toContain('FunctionUrl');
      onApi.template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 100 });
    });

    it('refuses a function URL in a region that has none, naming the setting', () => {
      const stack = new Stack(testApp(), 'Zurich', { env: { account: '123456789012', region: 'eu-central-2' } });

      expect(() => new TikTokShopAuth(stack, 'Auth', TEST_SETTINGS)).toThrow(
        "Lambda has no function URLs in eu-central-2; set webhookEndpoint: 'http-api'",
      );
      const zurich = new Stack(testApp(), 'ZurichOnApi', { env: { account: '123456789012', region: 'eu-central-2' } });
      expect(() => new TikTokShopAuth(zurich, 'Auth', { ...TEST_SETTINGS, webhookEndpoint: 'http-api' })).not.toThrow();
    });

    it('passes cdk-nag with the route acknowledged for what protects it', () => {
      const app = testApp();
      new TikTokShopAuthStack(app, 'OnApi', { ...TEST_SETTINGS, webhookEndpoint: 'http-api' });

      expect(() => synthWithNag(app)).not.toThrow();
    });

    it('refuses another value in CDK context', () => {
      expect(() => settingsFrom({ webhookEndpoint: 'api' })).toThrow(
        "-c webhookEndpoint: 'function-url' (the default) or 'http-api'",
      );
    });
  });
});
