import { RemovalPolicy } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { stackSettingsFromContext } from '../../lib/context-settings';
import { actionsOf, statementsOf, synthStack } from './synth';

describe('the seller journey on AWS', () => {
  const { template } = synthStack({
    serviceId: '7123',
    successUrl: 'https://app.example/ok',
    claimUrl: 'https://app.example/claim',
    market: 'US',
    authorizeUrlUs: 'https://services.tiktokshops.us/open/authorize',
  });

  describe('routes', () => {
    const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route')).map((route) => [
      route.Properties.RouteKey,
      route.Properties.AuthorizationType ?? 'NONE',
    ]);

    it('leaves only the callback public and puts every internal route behind IAM (webhooks have a URL of their own)', () => {
      expect(Object.fromEntries(routes)).toEqual({
        'GET /oauth/callback': 'NONE',
        'POST /authorization-links': 'AWS_IAM',
        'POST /authorizations/exchange': 'AWS_IAM',
        'GET /sellers': 'AWS_IAM',
        'POST /sellers/{openId}/refresh': 'AWS_IAM',
        'POST /installations/claim': 'AWS_IAM',
        'GET /sellers/{openId}': 'AWS_IAM',
        'DELETE /sellers/{openId}': 'AWS_IAM',
        'GET /shops/{shopId}/credentials': 'AWS_IAM',
      });
    });

    it('throttles a route without settings of its own like the callback, and logs each request without its path or query', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 50 },
        AccessLogSettings: {
          DestinationArn: Match.anyValue(),
          Format: Match.stringLikeRegexp('"route":"\\$context.routeKey"'),
        },
      });
      const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
      const format: string = stage?.Properties.AccessLogSettings.Format;
      expect(format).not.toMatch(/\$context\.(path|http\.path|requestOverride|querystring)/);
      expect(format).not.toContain('$request');
    });
  });

  describe('each function may do only what it does', () => {
    const kmsOn = (statements: Array<Record<string, unknown>>, keyPrefix: string) =>
      actionsOf(statements.filter((statement) => JSON.stringify(statement.Resource).includes(keyPrefix)));

    it('lets the callback seal tokens but not open them', () => {
      const statements = statementsOf(template, 'SellerJourneyOAuthCallback');

      expect(kmsOn(statements, 'TokenSealing')).toEqual(['kms:GenerateDataKey']);
      expect(actionsOf(statements)).toEqual(
        expect.arrayContaining(['secretsmanager:GetSecretValue', 'events:PutEvents']),
      );
      const dynamo = statements.find((statement) => actionsOf([statement]).includes('dynamodb:Query'));
      expect(JSON.stringify(dynamo?.Resource)).toContain('/index/ByShopId');
      expect(actionsOf(statements)).not.toContain('dynamodb:BatchWriteItem');
    });

    it('binds sealing to data keys whose context names a seller and the app', () => {
      const [sealing] = statementsOf(template, 'SellerJourneyOAuthCallback').filter((statement) =>
        JSON.stringify(statement.Resource).includes('TokenSealing'),
      );

      expect(sealing?.Condition).toEqual({
        'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['openId', 'appKey'] },
        Null: { 'kms:EncryptionContext:openId': 'false', 'kms:EncryptionContext:appKey': 'false' },
      });
    });

    it('keeps the seller API away from the sealing key and the app secret', () => {
      const statements = statementsOf(template, 'SellerJourneySellerApi');

      expect(kmsOn(statements, 'TokenSealing')).toEqual([]);
      expect(actionsOf(statements).filter((action) => action.startsWith('secretsmanager:'))).toEqual([]);
      expect(actionsOf(statements)).not.toContain('dynamodb:BatchWriteItem');
    });

    it('lets only the credentials function open tokens, and query only the shop index', () => {
      const statements = statementsOf(template, 'SellerJourneyCredentials');

      expect(kmsOn(statements, 'TokenSealing')).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
      const dynamo = statements.find((statement) => actionsOf([statement]).includes('dynamodb:Query'));
      expect(actionsOf(dynamo ? [dynamo] : [])).toEqual(['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(JSON.stringify(dynamo?.Resource)).toContain('/index/ByShopId');
    });

    it('gives the webhook function the app secret but no sealing key, and lets it delete only receipts', () => {
      const statements = statementsOf(template, 'WebhooksFunction');

      expect(kmsOn(statements, 'TokenSealing')).toEqual([]);
      expect(actionsOf(statements)).toEqual(
        expect.arrayContaining(['secretsmanager:GetSecretValue', 'events:PutEvents']),
      );
      // BatchWriteItem deletes too, and IAM cannot hold it to the receipts' keys.
      expect(actionsOf(statements)).not.toContain('dynamodb:BatchWriteItem');
      const deletes = statements.filter((statement) => actionsOf([statement]).includes('dynamodb:DeleteItem'));
      expect(deletes).toEqual([
        expect.objectContaining({
          Action: 'dynamodb:DeleteItem',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['WEBHOOK#*'] } },
        }),
      ]);
    });

    it('answers TikTok within its 3 seconds: a short function timeout', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp("^TikTok's webhooks"),
        Timeout: 6,
        Environment: { Variables: Match.objectLike({ TIKTOK_SERVICE_ID: '7123', APP_SECRET_ID: Match.anyValue() }) },
      });
    });

    it('never allows Scan, an unconditional DeleteItem or a wildcard index to any function', () => {
      const all = [
        'SellerJourneyOAuthCallback',
        'SellerJourneySellerApi',
        'SellerJourneyCredentials',
        'WebhooksFunction',
      ]
        .flatMap((id) => statementsOf(template, id))
        .filter(
          (statement) =>
            statement.Condition === undefined || !JSON.stringify(statement.Condition).includes('LeadingKeys'),
        );

      expect(actionsOf(all).filter((action) => /dynamodb:(Scan|DeleteItem|\*)/.test(action))).toEqual([]);
      expect(JSON.stringify(all)).not.toContain('/index/*');
    });
  });

  describe('configuration', () => {
    it('gives each function only its own settings', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^Internal API: authorization links'),
        Environment: { Variables: Match.objectLike({ TIKTOK_SERVICE_ID: '7123', TIKTOK_MARKET: 'US' }) },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('^The Redirect URL'),
        Environment: {
          Variables: Match.objectLike({
            SUCCESS_URL: 'https://app.example/ok',
            CLAIM_URL: 'https://app.example/claim',
          }),
        },
      });
    });

    it('gives every function that makes links both markets’ authorize pages, and the default market', () => {
      const linkMakers = Object.values(template.findResources('AWS::Lambda::Function')).filter(
        (fn) => fn.Properties.Environment?.Variables?.TIKTOK_SERVICE_ID,
      );

      expect(linkMakers.map((fn) => fn.Properties.Description.split(':')[0]).sort()).toEqual([
        'Delivers lifecycle events and reminders that were stored but not delivered',
        'Internal API',
        'Reminds sellers whose authorization ends soon, once per milestone',
        "TikTok's webhooks",
      ]);
      for (const fn of linkMakers) {
        expect(fn.Properties.Environment.Variables).toMatchObject({
          TIKTOK_MARKET: 'US',
          TIKTOK_AUTHORIZE_URL_US: 'https://services.tiktokshops.us/open/authorize',
        });
        // The other market keeps its preset: the function's own default.
        expect(fn.Properties.Environment.Variables).not.toHaveProperty('TIKTOK_AUTHORIZE_URL_ROW');
      }
    });

    it('prints the Redirect URL to paste into Partner Center, the internal API and the secret to fill', () => {
      const outputs = template.toJSON().Outputs as Record<string, { Description: string }>;

      expect(Object.keys(outputs)).toEqual(
        expect.arrayContaining(['RedirectUrl', 'WebhookUrl', 'InternalApiUrl', 'AppSecretArn', 'EventBusName']),
      );
      expect(JSON.stringify(template.toJSON().Outputs.WebhookUrl.Value)).toMatch(/"FunctionUrl"\]},"webhooks\/tiktok"/);
      expect(JSON.stringify(template.toJSON().Outputs.RedirectUrl.Value)).toContain('oauth/callback');
    });

    it('names every missing or wrong context key before building anything', () => {
      const context: Record<string, string> = { successUrl: 'ftp://nope', market: 'EU' };

      expect(() => stackSettingsFromContext((key) => context[key])).toThrow(
        /-c serviceId: .*\n.*-c market: .*\n.*-c successUrl: must be an http\(s\) URL\n.*-c claimUrl: /,
      );
    });

    it('refuses the single authorizeUrl of earlier versions rather than going back to the preset', () => {
      const context: Record<string, string> = {
        serviceId: '7123',
        successUrl: 'https://app.example/ok',
        claimUrl: 'https://app.example/claim',
        authorizeUrl: 'https://services.tiktokshops.us/open/authorize',
      };

      expect(() => stackSettingsFromContext((key) => context[key])).toThrow(
        '-c authorizeUrl: replaced by authorizeUrlRow and authorizeUrlUs (one authorize page per market)',
      );
    });

    it('reads a complete context into the stack’s settings', () => {
      const context: Record<string, string> = {
        serviceId: '7123',
        successUrl: 'https://app.example/ok',
        claimUrl: 'https://app.example/claim',
        appSecretName: 'tiktok/app',
        stackName: 'TikTokShopAuthUS',
        authorizeUrlUs: 'https://services.tiktokshops.us/open/authorize',
        removalPolicy: 'destroy',
      };

      expect(stackSettingsFromContext((key) => context[key])).toEqual({
        stackName: 'TikTokShopAuthUS',
        props: {
          serviceId: '7123',
          successUrl: 'https://app.example/ok',
          claimUrl: 'https://app.example/claim',
          authorizeUrlUs: 'https://services.tiktokshops.us/open/authorize',
          appSecretName: 'tiktok/app',
          removalPolicy: RemovalPolicy.DESTROY,
        },
      });
    });
  });
});
