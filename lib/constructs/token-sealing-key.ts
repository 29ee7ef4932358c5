import { RemovalPolicy } from 'aws-cdk-lib';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { serviceKey } from './service-key';

/**
 * The KMS key that seals sellers' tokens (envelope encryption, the context bound to the seller and the app).
 * Kept when the stack goes: without it no stored token opens, and every seller would have to authorize again.
 */
export class TokenSealingKey extends Construct {
  public readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.key = serviceKey(this, 'Key', {
      description: 'Seals TikTok Shop sellers tokens (tiktok-shop-auth)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
