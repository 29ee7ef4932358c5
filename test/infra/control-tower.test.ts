import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ControlTowerChecks, complianceChecks } from '../../bin/checks';
import { TikTokShopAuthStack } from '../../lib/tiktok-shop-auth-stack';
import { FEATURE_FLAGS, TEST_SETTINGS } from './synth';

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';

interface ValidationReport {
  pluginReports: Array<{
    pluginName: string;
    conclusion: string;
    violations: unknown[];
    suppressedViolations?: Array<{
      ruleName: string;
      reason: string;
      violatingConstructs: Array<{ cloudFormationResource: { logicalId: string } }>;
    }>;
  }>;
}

/** `id` without the hash CDK appends to a logical id. */
const withoutHash = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

/**
 * The stack as `cdk deploy` synthesizes it for a named account: bundling skipped, cdk-nag and every bundled Control
 * Tower control run as in `bin/app.ts`. The synth throws on any finding that is not acknowledged.
 */
function synthForAccount() {
  const app = new App({ context: { ...FEATURE_FLAGS, 'aws:cdk:bundling-stacks': [] } });
  const stack = new TikTokShopAuthStack(app, 'TikTokShopAuth', {
    ...TEST_SETTINGS,
    env: { account: ACCOUNT, region: REGION },
  });
  Validations.of(app).addPlugins(...complianceChecks(app));
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const assembly = app.synth();
    const report: ValidationReport = JSON.parse(
      readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8'),
    );
    return { template: Template.fromStack(stack), report };
  } finally {
    quiet.mockRestore();
  }
}

describe('AWS Control Tower proactive controls', () => {
  let template: Template;
  let report: ValidationReport;
  // cfn-guard evaluates about 190 rules against some 150 resources: 15 to 90 s on two shared cores.
  beforeAll(() => {
    ({ template, report } = synthForAccount());
  }, 300_000);

  const guardReport = () => {
    const found = report.pluginReports.find((plugin) => plugin.pluginName === 'cdk-validator-cfnguard');
    if (!found) throw new Error('the synth ran no cfn-guard validation');
    return found;
  };

  it('passes every control, leaving no finding unacknowledged', () => {
    expect(guardReport()).toMatchObject({ conclusion: 'success', violations: [] });
  });

  it('acknowledges only functions outside a VPC, the callback route and the public webhook URL, each with a reason', () => {
    const acknowledged = (guardReport().suppressedViolations ?? []).flatMap((violation) =>
      violation.violatingConstructs.map(({ cloudFormationResource }) => ({
        rule: violation.ruleName,
        resource: withoutHash(cloudFormationResource.logicalId),
        reason: violation.reason,
      })),
    );

    expect(acknowledged.map(({ rule, resource }) => `${rule} ${resource}`).sort()).toEqual([
      'api_gw_v2_authorization_type_configured_check HttpApiGEToauthcallback',
      // TikTok cannot sign with IAM: the function URL is public, and so are the two permissions it needs.
      'lambda_function_public_access_prohibited_check WebhooksFunctioninvokefunction',
      'lambda_function_public_access_prohibited_check WebhooksFunctioninvokefunctionurl',
      'lambda_function_url_auth_check WebhooksFunctionFunctionUrl',
      'lambda_inside_vpc_check OutboxSweepFunction',
      'lambda_inside_vpc_check RemindersSweepFunction',
      'lambda_inside_vpc_check SellerJourneyCredentialsFunction',
      'lambda_inside_vpc_check SellerJourneyOAuthCallbackFunction',
      'lambda_inside_vpc_check SellerJourneySellerApiFunction',
      'lambda_inside_vpc_check TokenRefreshSweepFunction',
      'lambda_inside_vpc_check TokenRefreshWorkerFunction',
      'lambda_inside_vpc_check WebhooksFunction',
    ]);
    for (const { reason } of acknowledged) expect(reason.length).toBeGreaterThan(40);
  });

  it('encrypts every log group with the service logs key and keeps it at least a year', () => {
    const logsKeys = Object.keys(
      template.findResources('AWS::KMS::Key', {
        Properties: { Description: 'Encrypts the tiktok-shop-auth log groups' },
      }),
    );
    expect(logsKeys).toHaveLength(1);

    const logGroups = Object.values(template.findResources('AWS::Logs::LogGroup'));
    // Eight functions and the API's access logs.
    expect(logGroups).toHaveLength(9);
    for (const { Properties } of logGroups) {
      expect(Properties.KmsKeyId).toEqual({ 'Fn::GetAtt': [logsKeys[0], 'Arn'] });
      expect(Properties.RetentionInDays).toBeGreaterThanOrEqual(365);
    }
  });

  it("lets CloudWatch Logs of this region use the logs key only for this account's log groups", () => {
    const [logsKey] = Object.values(
      template.findResources('AWS::KMS::Key', {
        Properties: { Description: 'Encrypts the tiktok-shop-auth log groups' },
      }),
    );
    const forLogs = logsKey?.Properties.KeyPolicy.Statement.filter(
      (statement: { Principal: unknown }) =>
        JSON.stringify(statement.Principal) === `{"Service":"logs.${REGION}.amazonaws.com"}`,
    );

    expect(forLogs).toEqual([
      {
        Sid: 'CloudWatchLogsOfThisAccountAndRegion',
        Effect: 'Allow',
        Principal: { Service: `logs.${REGION}.amazonaws.com` },
        Action: expect.arrayContaining(['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*']),
        Resource: '*',
        Condition: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:*` },
        },
      },
    ]);
  });

  it('lets no key make grants except for AWS resources or AWS services', () => {
    const keys = Object.values(template.findResources('AWS::KMS::Key'));
    // The table's, the token-sealing, the alarm topic's and the logs' keys.
    expect(keys).toHaveLength(4);
    for (const key of keys) {
      expect(key.Properties.KeyPolicy.Statement).toContainEqual({
        Sid: 'GrantsOnlyForAwsServices',
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Action: 'kms:CreateGrant',
        Resource: '*',
        Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
      });
    }
  });

  it("lets API Gateway invoke a function only for this account's API, and anyone else only through the webhook URL", () => {
    const permissions = Object.entries(template.findResources('AWS::Lambda::Permission'));
    const [viaApi, other] = [
      permissions.filter(([, { Properties }]) => Properties.Principal === 'apigateway.amazonaws.com'),
      permissions.filter(([, { Properties }]) => Properties.Principal !== 'apigateway.amazonaws.com'),
    ];

    expect(viaApi.length).toBeGreaterThan(0);
    for (const [, { Properties }] of viaApi) expect(Properties.SourceAccount).toBe(ACCOUNT);
    expect(other.map(([id, { Properties }]) => [withoutHash(id), Properties.Principal])).toEqual([
      ['WebhooksFunctioninvokefunctionurl', '*'],
      ['WebhooksFunctioninvokefunction', '*'],
    ]);
  });

  it('declares each dead-letter queue as one, and gives every other queue a dead-letter queue', () => {
    const queues = Object.entries(template.findResources('AWS::SQS::Queue')).map(([id, queue]) => [
      withoutHash(id),
      queue.Properties.RedriveAllowPolicy?.redrivePermission ?? 'none',
      queue.Properties.RedrivePolicy ? 'has a dead-letter queue' : 'none',
    ]);

    expect(queues.sort()).toEqual([
      ['OutboxScheduleDeadLetters', 'allowAll', 'none'],
      ['RemindersScheduleDeadLetters', 'allowAll', 'none'],
      ['TokenRefreshDeadLetters', 'allowAll', 'none'],
      ['TokenRefreshQueue', 'none', 'has a dead-letter queue'],
      ['TokenRefreshScheduleDeadLetters', 'allowAll', 'none'],
    ]);
  });
});

describe('the Control Tower checks themselves', () => {
  it('fail the synth on a finding even when another finding of the same rule is acknowledged', () => {
    const app = new App();
    const stack = new Stack(app, 'Logs');
    const acknowledged = new LogGroup(stack, 'Acknowledged', { retention: RetentionDays.ONE_YEAR });
    Validations.of(acknowledged).acknowledge({
      id: 'cdk-validator-cfnguard::cloudwatch_log_group_encrypted_check',
      reason: 'a test',
    });
    new LogGroup(stack, 'Unencrypted', { retention: RetentionDays.ONE_YEAR });
    Validations.of(app).addPlugins(new ControlTowerChecks());

    expect(() => app.synth()).toThrow(/CT\.CLOUDWATCH\.PR\.3[\s\S]*Logs\/Unencrypted/);
  }, 60_000);
});
