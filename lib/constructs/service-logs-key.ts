import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Construct, type IConstruct } from 'constructs';
import { serviceKey } from './service-key';

const SINGLETON_ID = 'TikTokShopAuthLogsKey';

/**
 * The KMS key that encrypts the service's log groups (each function's and the API's access logs). CloudWatch Logs
 * may use it for log groups of this account and region only: the encryption context it sends names the log group.
 */
export class ServiceLogsKey extends Construct {
  /** The stack's logs key, created on first use: every log group of the service in one stack shares it. */
  static of(scope: IConstruct): Key {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(SINGLETON_ID);
    return (existing instanceof ServiceLogsKey ? existing : new ServiceLogsKey(stack, SINGLETON_ID)).key;
  }

  public readonly key: Key;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    this.key = serviceKey(this, 'Key', {
      description: 'Encrypts the tiktok-shop-auth log groups',
      // The log groups it encrypts go with the stack; so does the key.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.key.addToResourcePolicy(
      new PolicyStatement({
        sid: 'CloudWatchLogsOfThisAccountAndRegion',
        principals: [new ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}
