import { startDynalite } from '../../../../local/embedded-dynamodb';
import { runGrantStoreBattery } from './grant-store-battery';

runGrantStoreBattery('dynalite', () => startDynalite());
