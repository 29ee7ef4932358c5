import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import type { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import {
  GLOBAL_SECONDARY_INDEXES,
  KEY_ATTRIBUTES,
  TABLE_KEYS,
  TTL_ATTRIBUTE,
} from '../../lambdas/adapters/dynamodb/table-design';
import { serviceKey } from './service-key';

export interface GrantTableProps {
  /** @default a name CloudFormation chooses */
  readonly tableName?: string;
}

const attribute = (name: string) => ({
  name,
  type: KEY_ATTRIBUTES[name] === 'N' ? AttributeType.NUMBER : AttributeType.STRING,
});

/**
 * The one table of grants, shops, states, install tickets and webhook receipts (design section 3): on-demand,
 * point-in-time recovery, deletion protection, kept when the stack goes, encrypted with a key of its own. The keys
 * and indexes come from the same definition the adapter and the local mode use.
 */
export class GrantTable extends Construct {
  public readonly table: Table;
  public readonly encryptionKey: Key;

  constructor(scope: Construct, id: string, props: GrantTableProps = {}) {
    super(scope, id);

    this.encryptionKey = serviceKey(this, 'Key', {
      description: 'Encrypts the tiktok-shop-auth table at rest',
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // The classic table rather than TableV2: TableV2 cannot render a customer-managed key in a region-agnostic
    // stack, and one region is all this service needs.
    this.table = new Table(this, 'Table', {
      tableName: props.tableName,
      partitionKey: attribute(TABLE_KEYS.partitionKey),
      sortKey: attribute(TABLE_KEYS.sortKey),
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.encryptionKey,
      timeToLiveAttribute: TTL_ATTRIBUTE,
    });
    for (const index of GLOBAL_SECONDARY_INDEXES) {
      const [partition, sort] = index.KeySchema;
      if (!partition) throw new Error(`index ${index.IndexName} has no partition key`);
      const nonKeyAttributes = 'NonKeyAttributes' in index.Projection ? index.Projection.NonKeyAttributes : undefined;
      this.table.addGlobalSecondaryIndex({
        indexName: index.IndexName,
        partitionKey: attribute(partition.AttributeName),
        ...(sort ? { sortKey: attribute(sort.AttributeName) } : {}),
        projectionType: ProjectionType[index.Projection.ProjectionType],
        ...(nonKeyAttributes ? { nonKeyAttributes: [...nonKeyAttributes] } : {}),
      });
    }
  }
}
