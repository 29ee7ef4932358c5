import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';

/**
 * The item actions a function may take on any item; never Scan, never DeleteItem, never the index wildcard, and
 * never BatchWriteItem, whose deletes no key condition can hold.
 */
export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'Query';

/**
 * Grants exactly these actions on the table, and Query on the named indexes only, with what DynamoDB needs of
 * the table's key to serve them.
 */
export function grantTableActions(
  grantee: IGrantable,
  table: ITable,
  actions: readonly TableAction[],
  indexes: readonly string[] = [],
): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: actions.map((action) => `dynamodb:${action}`),
      resources: [table.tableArn, ...indexes.map((index) => `${table.tableArn}/index/${index}`)],
    }),
  );
  const writes = actions.some((action) => action !== 'GetItem' && action !== 'Query');
  table.encryptionKey?.grant(
    grantee,
    'kms:Decrypt',
    'kms:DescribeKey',
    ...(writes ? ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'] : []),
  );
}

/** May delete only items whose partition key starts with `prefix` (e.g. webhook receipts), nothing else. */
export function grantDeleteWithKeyPrefix(grantee: IGrantable, table: ITable, prefix: string): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['dynamodb:DeleteItem'],
      resources: [table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
    }),
  );
}

/** Only data keys whose encryption context names a seller and the app: the sealer's, and nothing else. */
const sealingContextCondition = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['openId', 'appKey'] },
  Null: { 'kms:EncryptionContext:openId': 'false', 'kms:EncryptionContext:appKey': 'false' },
};

/** May seal tokens (new data keys), not open them. */
export function grantSealing(grantee: IGrantable, key: IKey): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:GenerateDataKey'],
      resources: [key.keyArn],
      conditions: sealingContextCondition,
    }),
  );
}

/** May open sealed tokens. */
export function grantUnsealing(grantee: IGrantable, key: IKey): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['kms:Decrypt'], resources: [key.keyArn], conditions: sealingContextCondition }),
  );
}
