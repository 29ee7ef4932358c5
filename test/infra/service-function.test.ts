import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ServiceFunction } from '../../lib/constructs/service-function';
import { Stack, synthWithNag, testApp } from './synth';

const ENTRY = join(__dirname, 'fixtures', 'echo-handler.ts');

describe('ServiceFunction', () => {
  const app = testApp();
  const stack = new Stack(app, 'Functions');
  new ServiceFunction(stack, 'Echo', {
    entry: ENTRY,
    description: 'echoes',
    environment: { TABLE_NAME: 'grants' },
    timeout: Duration.seconds(5),
    logRetention: RetentionDays.THREE_MONTHS,
  });
  const template = Template.fromStack(stack);

  it('runs Node.js 24 on ARM64 with tracing and Powertools settings, without source maps read at start', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 5,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
      Environment: {
        Variables: Match.objectLike({
          // Parsing the source map at every cold start cost more than loading the DynamoDB client.
          NODE_OPTIONS: Match.absent(),
          POWERTOOLS_SERVICE_NAME: 'tiktok-shop-auth',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          TABLE_NAME: 'grants',
        }),
      },
    });
  });

  it('logs to a group of its own with the retention asked for', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('has a role of its own that may write only to its own log group', () => {
    const role = template.findResources('AWS::IAM::Role');
    expect(Object.values(role).map((r) => r.Properties.ManagedPolicyArns)).toEqual([undefined]);

    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Effect: 'Allow',
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EchoLogs'), 'Arn'] },
          },
        ]),
      },
    });
  });

  it('passes cdk-nag with its acknowledgements', () => {
    expect(() => synthWithNag(app)).not.toThrow();
  });

  it('bundles a real handler with esbuild: minified, with a source map', () => {
    const bundlingApp = testApp({ bundle: true });
    const bundled = new Stack(bundlingApp, 'Bundled');
    new ServiceFunction(bundled, 'Credentials', {
      entry: 'lambdas/handlers/credentials.ts',
      description: 'credentials',
    });

    const assembly = bundlingApp.synth();

    const assetDirs = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    expect(assetDirs).toHaveLength(1);
    const dir = join(assembly.directory, assetDirs[0] ?? '');
    expect(readdirSync(dir).sort()).toEqual(['index.js', 'index.js.map']);
    const code = readFileSync(join(dir, 'index.js'), 'utf8');
    // Booleans, not the code itself: a failure should not print a megabyte of bundle.
    expect(code.includes('credentials handed out')).toBe(true);
    expect(code.includes('the one route whose answer carries a token')).toBe(false);
    expect(code.includes('function getShopCredentials(')).toBe(false);
    expect(statSync(join(dir, 'index.js.map')).size).toBeGreaterThan(0);

    // What went in, from the source map: the SDK's ES modules, and the function's credential chain, not the SDK's.
    const sources: string[] = JSON.parse(readFileSync(join(dir, 'index.js.map'), 'utf8')).sources;
    expect(sources.some((source) => source.endsWith('lambdas/shared/lambda-credentials.ts'))).toBe(true);
    expect(sources.some((source) => source.endsWith('lambdas/shared/no-event-streams.ts'))).toBe(true);
    expect(sources.filter((source) => source.includes('submodules/event-streams'))).toEqual([]);
    expect(
      sources.filter((source) => /credential-provider-node|nested-clients|credential-provider-sso/.test(source)),
    ).toEqual([]);
    expect(sources.filter((source) => source.includes('@aws-sdk/client-dynamodb/dist-cjs'))).toEqual([]);
    expect(sources.some((source) => source.includes('@aws-sdk/client-dynamodb/dist-es'))).toBe(true);
  });

  it("runs the SDK's DynamoDB client on AWS's own endpoint with the bundle's stand-in for discovered endpoints", () => {
    const bundlingApp = testApp({ bundle: true });
    new ServiceFunction(new Stack(bundlingApp, 'Discovery'), 'Fixture', {
      entry: join(__dirname, 'fixtures', 'dynamodb-on-aws-endpoint.ts'),
      description: 'fixture',
    });
    const assembly = bundlingApp.synth();
    const [assetDir = ''] = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    const dir = join(assembly.directory, assetDir);

    const sources: string[] = JSON.parse(readFileSync(join(dir, 'index.js.map'), 'utf8')).sources;
    expect(sources.some((source) => source.endsWith('lambdas/shared/no-endpoint-discovery.ts'))).toBe(true);
    expect(sources.filter((source) => /endpoint-cache|mnemonist/.test(source))).toEqual([]);
    const output = execFileSync(process.execPath, [join(dir, 'index.js')], { encoding: 'utf8', timeout: 20_000 });
    expect(JSON.parse(output)).toEqual({ hosts: ['dynamodb.eu-west-1.amazonaws.com'], status: 'ACTIVE' });
  });
});
