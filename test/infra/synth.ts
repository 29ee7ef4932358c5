import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TikTokShopAuthStack, type TikTokShopAuthStackProps } from '../../lib/tiktok-shop-auth-stack';

/** An app that skips bundling (most tests) and runs cdk-nag like `bin/app.ts` does. */
export function testApp(options: { bundle?: boolean } = {}): App {
  const app = new App(options.bundle ? {} : { context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

export function synthStack(props: TikTokShopAuthStackProps = {}): { stack: TikTokShopAuthStack; template: Template } {
  const app = testApp();
  const stack = new TikTokShopAuthStack(app, 'TikTokShopAuth', props);
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
