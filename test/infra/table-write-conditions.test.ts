import type { EvaluationResult } from '@cloud-copilot/iam-simulate';
import { receiptKey } from '../../lambdas/adapters/dynamodb/dynamodb-webhook-receipts';
import { grantKey, shopKey, stateKey } from '../../lambdas/adapters/dynamodb/items';
import { decideTableRequest, roleIds } from './iam-simulation';
import { synthStack } from './synth';

/** Every action that writes or deletes items: BatchWriteItem deletes too, under one action for the whole batch. */
const TABLE_WRITES = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
] as const;

/** `id` without the hash CDK appends to a logical id. */
const withoutHash = (logicalId: string) => logicalId.replace(/[0-9A-F]{8}$/, '');

describe('what each role may write in the table, as IAM evaluates the synthesized policies', () => {
  const { template } = synthStack();
  const [tableId] = Object.keys(template.findResources('AWS::DynamoDB::Table'));
  const [webhookRole] = roleIds(template).filter((id) => id.startsWith('WebhooksFunctionRole'));
  if (!tableId || !webhookRole) throw new Error('the stack should hold the table and the webhook role');

  const decide = (roleId: string, action: string, leadingKeys: readonly string[]): Promise<EvaluationResult> =>
    decideTableRequest(template, { roleId, action, tableId, leadingKeys });
  const grant = grantKey('seller-open-id').pk;
  const receipt = receiptKey('delivery-1').pk;

  describe('the webhook role', () => {
    it('may delete a webhook receipt', async () => {
      expect(await decide(webhookRole, 'dynamodb:DeleteItem', [receipt])).toBe('Allowed');
    });

    it("may not delete a seller's grant or shop", async () => {
      expect(await decide(webhookRole, 'dynamodb:DeleteItem', [grant])).toBe('ImplicitlyDenied');
      expect(await decide(webhookRole, 'dynamodb:DeleteItem', [shopKey('seller-open-id', 'shop-1').pk])).toBe(
        'ImplicitlyDenied',
      );
    });

    it('may not write a batch: neither a grant, nor receipts alone', async () => {
      expect(await decide(webhookRole, 'dynamodb:BatchWriteItem', [grant])).toBe('ImplicitlyDenied');
      expect(await decide(webhookRole, 'dynamodb:BatchWriteItem', [receipt, grant])).toBe('ImplicitlyDenied');
      expect(await decide(webhookRole, 'dynamodb:BatchWriteItem', [receipt])).toBe('ImplicitlyDenied');
    });
  });

  it('lets no role delete a grant, write a batch or use PartiQL', async () => {
    const allowed: string[] = [];
    for (const roleId of roleIds(template)) {
      for (const action of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:PartiQLDelete']) {
        if ((await decide(roleId, action, [grant])) === 'Allowed') allowed.push(`${withoutHash(roleId)} ${action}`);
      }
    }

    expect(allowed).toEqual([]);
  });

  /**
   * The writes no key condition holds, and why each is intended: the functions put and update grants (`SELLER#`),
   * their shops, one-time states and tickets (`STATE#`, `TICKET#`), receipts (`WEBHOOK#`) and the refusal ledger
   * (`APP#`); each write is conditional in the code (versions, leases, `attribute_not_exists`). Deletes are the
   * only writes held to keys: nobody deletes but the webhook function, and only receipts.
   */
  it('lets roles write items whatever their key only where intended: puts and updates, never deletes', async () => {
    const unconditioned: Record<string, string[]> = {};
    for (const roleId of roleIds(template)) {
      const actions: string[] = [];
      for (const action of TABLE_WRITES) {
        // A key no condition names: allowed here means allowed for any item.
        if ((await decide(roleId, action, [stateKey('any-state').pk])) === 'Allowed') actions.push(action);
      }
      if (actions.length > 0) unconditioned[withoutHash(roleId)] = actions;
    }

    expect(unconditioned).toEqual({
      SellerJourneyOAuthCallbackRole: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      SellerJourneySellerApiRole: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      SellerJourneyCredentialsRole: ['dynamodb:UpdateItem'],
      WebhooksFunctionRole: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      TokenRefreshSweepRole: ['dynamodb:UpdateItem'],
      TokenRefreshWorkerRole: ['dynamodb:UpdateItem'],
      RemindersSweepRole: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
      OutboxSweepRole: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
    });
  });
});
