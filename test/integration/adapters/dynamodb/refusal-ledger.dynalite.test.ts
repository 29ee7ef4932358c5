import { createGrantTable } from '../../../../lambdas/adapters/dynamodb/create-table';
import { DynamoDbRefusalLedger } from '../../../../lambdas/adapters/dynamodb/dynamodb-refusal-ledger';
import { type LocalDynamoDb, startDynalite } from '../../../../local/embedded-dynamodb';

describe('DynamoDbRefusalLedger on dynalite', () => {
  let dynamo: LocalDynamoDb;
  let tables = 0;
  const at = (minute: number) => new Date(Date.UTC(2026, 10, 30, 12, minute));

  beforeAll(async () => {
    dynamo = await startDynalite();
  });
  afterAll(() => dynamo.stop());

  const ledger = async () => {
    const tableName = `ledger-${++tables}`;
    await createGrantTable(dynamo.client, tableName);
    return new DynamoDbRefusalLedger(dynamo.documentClient, tableName);
  };

  it('starts empty: no refusal, no success, no pause', async () => {
    expect(await (await ledger()).read()).toEqual({ refusals: [] });
  });

  it('keeps each seller’s latest refusal, and answers the record as it is after the write', async () => {
    const refusals = await ledger();

    await refusals.recordRefusal('seller-a', at(1), at(0));
    await refusals.recordRefusal('seller-b', at(2), at(0));
    const record = await refusals.recordRefusal('seller-a', at(3), at(0));

    expect(record.refusals).toEqual(
      expect.arrayContaining([
        { openId: 'seller-a', at: at(3) },
        { openId: 'seller-b', at: at(2) },
      ]),
    );
    expect(record.refusals).toHaveLength(2);
    expect((await refusals.read()).refusals).toHaveLength(2);
  });

  it('forgets refusals older than asked, so the item stays small', async () => {
    const refusals = await ledger();
    await refusals.recordRefusal('old', at(1), at(0));

    const record = await refusals.recordRefusal('new', at(30), at(15));

    expect(record.refusals).toEqual([{ openId: 'new', at: at(30) }]);
    expect((await refusals.read()).refusals).toEqual([{ openId: 'new', at: at(30) }]);
  });

  it('keeps the later of two successes and the longer of two pauses', async () => {
    const refusals = await ledger();

    await refusals.recordSuccess(at(10));
    await refusals.recordSuccess(at(5));
    await refusals.pause(at(40));
    await refusals.pause(at(20));

    expect(await refusals.read()).toMatchObject({ lastSuccessAt: at(10), pausedUntil: at(40) });
  });
});
