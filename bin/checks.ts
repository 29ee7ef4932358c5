import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { App, IPolicyValidationContext, IPolicyValidationPlugin, PolicyValidationPluginReport } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';

/**
 * AWS Control Tower's proactive controls: every cfn-guard rule `@cdklabs/cdk-validator-cfnguard` bundles, as the
 * CloudFormation hooks of an account that enforces them would run them. The exceptions are acknowledged at their
 * resources, with a reason (README, "Control Tower acknowledgements").
 *
 * The plugin reports its findings without a severity. Once anything in a report is acknowledged, CDK counts only
 * findings of severity `error` as failures, so the rest would be printed as errors and the synth would still exit
 * 0: each finding is marked an error here.
 */
export class ControlTowerChecks implements IPolicyValidationPlugin {
  private readonly guard = new CfnGuardValidator({
    // cfn-guard answers in JSON for every rule and resource (about 0.5 MiB for this stack): room beyond Node's 1 MiB.
    maxBuffer: 32 * 1024 * 1024,
  });
  /** The plugin's own name: acknowledgements name the rules as `cdk-validator-cfnguard::<rule>`. */
  public readonly name = this.guard.name;
  public readonly version = this.guard.version;
  public readonly ruleIds = this.guard.ruleIds;

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const report = this.guard.validate(context);
    return { ...report, violations: report.violations.map((violation) => ({ ...violation, severity: 'error' })) };
  }
}

/** The checks every synth runs: cdk-nag's AWS Solutions rules and Control Tower's controls. */
export function complianceChecks(app: App): IPolicyValidationPlugin[] {
  return [new AwsSolutionsChecks(app), new ControlTowerChecks()];
}
