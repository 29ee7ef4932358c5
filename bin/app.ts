#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { TikTokShopAuthStack } from '../lib/tiktok-shop-auth-stack';

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

new TikTokShopAuthStack(app, context('stackName') ?? 'TikTokShopAuth', {
  appSecretName: context('appSecretName'),
  eventBusName: context('eventBusName'),
  // Environment-agnostic unless the deployer's CLI names one: synth needs no AWS account.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
