import { javaIsAvailable, startDynamoDbLocal } from '../../../support/dynamodb-local';
import { runGrantStoreBattery } from './grant-store-battery';

// DynamoDB Local needs Java. Where there is none the battery still runs on dynalite; in CI its absence is a failure,
// not a silent pass.
if (javaIsAvailable()) {
  runGrantStoreBattery('DynamoDB Local', () => startDynamoDbLocal());
} else {
  it('runs the store battery on DynamoDB Local wherever CI runs (Java is missing here)', () => {
    expect(process.env.CI).not.toBe('true');
  });
}
