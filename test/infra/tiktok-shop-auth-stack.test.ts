import { Match, Template } from 'aws-cdk-lib/assertions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { TikTokShopAuthStack } from '../../lib/tiktok-shop-auth-stack';
import { Stack, synthStack, synthWithNag, TEST_SETTINGS, testApp } from './synth';

describe('TikTokShopAuthStack', () => {
  const { template } = synthStack();

  describe('the grant table', () => {
    it('keys items on pk/sk and holds the three indexes of the design', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: Match.arrayWith([
          {
            IndexName: 'ByRefreshDue',
            KeySchema: [
              { AttributeName: 'refreshShard', KeyType: 'HASH' },
              { AttributeName: 'accessExpiresAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
          {
            IndexName: 'ByAuthorizationExpiry',
            KeySchema: [
              { AttributeName: 'expiryShard', KeyType: 'HASH' },
              { AttributeName: 'authorizationExpiresAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'KEYS_ONLY' },
          },
          {
            IndexName: 'ByShopId',
            KeySchema: [{ AttributeName: 'shopId', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ]),
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: 'accessExpiresAt', AttributeType: 'N' },
          { AttributeName: 'authorizationExpiresAt', AttributeType: 'N' },
        ]),
      });
    });

    it('is on demand, with point-in-time recovery, deletion protection and a TTL attribute', () => {
      template.hasResourceProperties('AWS::DynamoDB::Table', {
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      });
    });

    it('is encrypted with a customer-managed key that rotates', () => {
      const tableKey = Object.keys(
        template.findResources('AWS::KMS::Key', { Properties: { Description: Match.stringLikeRegexp('table') } }),
      );
      expect(tableKey).toHaveLength(1);

      template.hasResourceProperties('AWS::DynamoDB::Table', {
        SSESpecification: {
          SSEEnabled: true,
          SSEType: 'KMS',
          KMSMasterKeyId: { 'Fn::GetAtt': [tableKey[0], 'Arn'] },
        },
      });
    });

    it('is kept when the stack is deleted', () => {
      template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    });
  });

  describe('keys', () => {
    it('rotates and keeps both the table key and the token-sealing key', () => {
      const keys = Object.values(template.findResources('AWS::KMS::Key')).map((key) => [
        key.Properties.Description,
        key.Properties.EnableKeyRotation,
        key.DeletionPolicy,
      ]);

      expect(keys).toEqual(
        expect.arrayContaining([
          ['Encrypts the tiktok-shop-auth table at rest', true, 'Retain'],
          ['Seals TikTok Shop sellers tokens (tiktok-shop-auth)', true, 'Retain'],
        ]),
      );
      expect(keys.every(([, rotates]) => rotates === true)).toBe(true);
    });
  });

  describe('the app secret', () => {
    it('is created empty, kept, and says what to put in it', () => {
      template.hasResource('AWS::SecretsManager::Secret', {
        DeletionPolicy: 'Retain',
        Properties: {
          Description: Match.stringLikeRegexp('"app_key": "<App key>", "app_secret": "<App secret>"'),
          SecretString: JSON.stringify({ app_key: '', app_secret: '' }),
        },
      });
    });

    it('is not created when an existing secret is named', () => {
      const { template: withExisting, stack } = synthStack({ appSecretName: 'existing/tiktok-app' });

      withExisting.resourceCountIs('AWS::SecretsManager::Secret', 0);
      expect(stack.service.appSecret.secretName).toBe('existing/tiktok-app');
    });
  });

  describe('the event bus', () => {
    it('keeps the name it always had in the default stack, so that an upgrade never replaces it or its archive', () => {
      template.hasResourceProperties('AWS::Events::EventBus', { Name: 'tiktok-shop-auth' });
      template.hasResourceProperties('AWS::Events::Archive', {
        EventPattern: { source: ['tiktok-shop-auth'] },
        RetentionDays: 365,
      });
    });

    it('is named after any other stack, so that two stacks in one account and region never collide', () => {
      const app = testApp();
      const stacks = ['TikTokShopAuthRow', 'TikTokShopAuthUs'].map(
        (id) => new TikTokShopAuthStack(app, id, TEST_SETTINGS),
      );

      const [row, us] = stacks.map(
        (stack) => Object.values(Template.fromStack(stack).findResources('AWS::Events::EventBus'))[0]?.Properties.Name,
      );
      expect(row).toBe('TikTokShopAuthRow');
      expect(us).toBe('TikTokShopAuthUs');
    });

    it('takes another name when several stacks share an account', () => {
      synthStack({ eventBusName: 'tiktok-shop-auth-us' }).template.hasResourceProperties('AWS::Events::EventBus', {
        Name: 'tiktok-shop-auth-us',
      });
    });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('finds nothing unacknowledged in the stack', () => {
      const app = testApp();
      new TikTokShopAuthStack(app, 'TikTokShopAuth', TEST_SETTINGS);

      expect(() => synthWithNag(app)).not.toThrow();
    });

    it('fails the synth on a finding nobody acknowledged', () => {
      const app = testApp();
      new Secret(new Stack(app, 'Careless'), 'NeverRotated');

      expect(() => synthWithNag(app)).toThrow("Acknowledge with 'AwsSolutions::AwsSolutions-SMG4'");
    });
  });
});
