import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TikTokShopAuthStack, type TikTokShopAuthStackProps } from '../../lib/tiktok-shop-auth-stack';

/** The feature flags `cdk.json` pins, so that tests synthesize what `cdk synth` does. */
export const FEATURE_FLAGS: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

/** An app with the pinned feature flags that skips bundling (most tests) and runs cdk-nag like `bin/app.ts` does. */
export function testApp(options: { bundle?: boolean } = {}): App {
  const app = new App({
    context: { ...FEATURE_FLAGS, ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }) },
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

export const TEST_SETTINGS = {
  serviceId: '7123456789',
  successUrl: 'https://app.example.com/tiktok/connected',
  claimUrl: 'https://app.example.com/tiktok/claim',
};

export function synthStack(props: Partial<TikTokShopAuthStackProps> = {}): {
  stack: TikTokShopAuthStack;
  template: Template;
} {
  const app = testApp();
  const stack = new TikTokShopAuthStack(app, 'TikTokShopAuth', { ...TEST_SETTINGS, ...props });
  return { stack, template: Template.fromStack(stack) };
}

/** Synthesizes the whole app, cdk-nag included: throws when any finding is not acknowledged. */
export function synthWithNag(app: App): void {
  const quiet = jest.spyOn(console, 'error').mockImplementation(() => {});
  const quietLog = jest.spyOn(console, 'log').mockImplementation(() => {});
  try {
    app.synth({ force: true });
  } finally {
    quiet.mockRestore();
    quietLog.mockRestore();
  }
}

export { Stack };

/** Every IAM statement granted to the role of the function whose construct path starts with `functionId`. */
export function statementsOf(template: Template, functionId: string): Array<Record<string, unknown>> {
  const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) =>
    id.startsWith(`${functionId}Role`),
  );
  if (roles.length !== 1) throw new Error(`expected one role for ${functionId}, found ${roles.join(', ') || 'none'}`);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roles[0]}"`))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>);
}

/** The actions a statement list allows, flattened. */
export const actionsOf = (statements: Array<Record<string, unknown>>): string[] =>
  statements.flatMap((statement) => [statement.Action].flat() as string[]).sort();
