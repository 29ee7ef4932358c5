import type { Clock } from '../ports';
import { sleep } from './retry';

export const systemClock: Clock = { now: () => new Date(), sleep };
