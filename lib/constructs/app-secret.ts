import { RemovalPolicy, SecretValue, Validations } from 'aws-cdk-lib';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

export interface AppSecretProps {
  /** Use this existing secret instead of creating one. @default a new secret to fill after deploying */
  readonly existingSecretName?: string;
}

/**
 * The app's Partner Center key and secret, as `{"app_key": "...", "app_secret": "..."}`. Created with both values
 * empty, to be filled after the first deploy; or an existing secret, by name.
 */
export class AppSecret extends Construct {
  public readonly secret: ISecret;

  constructor(scope: Construct, id: string, props: AppSecretProps = {}) {
    super(scope, id);
    if (props.existingSecretName) {
      this.secret = Secret.fromSecretNameV2(this, 'Secret', props.existingSecretName);
      return;
    }
    const secret = new Secret(this, 'Secret', {
      description:
        'TikTok Shop Partner Center app credentials for tiktok-shop-auth. Fill as JSON: {"app_key": "<App key>", "app_secret": "<App secret>"}',
      // Placeholders, not secrets: the service refuses to run until both are filled.
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify({ app_key: '', app_secret: '' })),
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'TikTok issues the app secret in Partner Center and offers no API to rotate it; it is rotated there by hand and pasted here.',
    });
    this.secret = secret;
  }
}
