#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { stackSettingsFromContext } from '../lib/context-settings';
import { TikTokShopAuthStack } from '../lib/tiktok-shop-auth-stack';
import { complianceChecks } from './checks';

const app = new App();
const { stackName, props } = stackSettingsFromContext((key) => app.node.tryGetContext(key));

new TikTokShopAuthStack(app, stackName, {
  ...props,
  // Environment-agnostic unless the deployer's CLI names one: synth needs no AWS account.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag and Control Tower's controls: a finding that is not acknowledged fails the synth.
Validations.of(app).addPlugins(...complianceChecks(app));
