import { backoffDelay, withRetry } from '../../../lambdas/shared/retry';

const policy = { attempts: 4, baseDelayMs: 100, maxDelayMs: 300 };

describe('withRetry', () => {
  it('retries a retryable failure until it succeeds', async () => {
    const outcomes = [new Error('a'), new Error('b'), 'done'];

    const result = await withRetry(
      async () => {
        const next = outcomes.shift();
        if (next instanceof Error) throw next;
        return next;
      },
      () => true,
      policy,
      { sleep: async () => {} },
    );

    expect(result).toBe('done');
    expect(outcomes).toEqual([]);
  });

  it('stops at once on a failure that is not retryable', async () => {
    let calls = 0;

    const call = withRetry(
      async () => {
        calls++;
        throw new Error('final');
      },
      () => false,
      policy,
      { sleep: async () => {} },
    );

    await expect(call).rejects.toThrow('final');
    expect(calls).toBe(1);
  });

  it('stops after the last attempt and throws the last error', async () => {
    let calls = 0;
    const delays: number[] = [];

    const call = withRetry(
      async () => {
        throw new Error(`attempt ${++calls}`);
      },
      () => true,
      policy,
      { sleep: async (ms) => void delays.push(ms), random: () => 0.5 },
    );

    await expect(call).rejects.toThrow('attempt 4');
    expect(delays).toEqual([50, 100, 150]);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially up to the cap, scaled by the jitter', () => {
    expect([1, 2, 3, 4].map((attempt) => backoffDelay(policy, attempt, () => 1))).toEqual([100, 200, 300, 300]);
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
  });
});
