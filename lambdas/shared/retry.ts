/** How often and how patiently a call is retried. */
export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };

export interface RetryTools {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Whether waiting `delayMs` still leaves time for another attempt; when not, the last error is thrown. */
  readonly hasTimeFor?: (delayMs: number) => boolean;
  /** Told of each failed attempt that will be retried. */
  readonly onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** "Full jitter" exponential backoff: a random delay up to base * 2^(attempt-1), capped. */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Runs `call` until it succeeds, fails with an error `isRetryable` rejects, or the attempts run out. */
export async function withRetry<T>(
  call: (attempt: number) => Promise<T>,
  isRetryable: (error: unknown) => boolean,
  policy: RetryPolicy = DEFAULT_RETRY_POLICY,
  tools: RetryTools = {},
): Promise<T> {
  const wait = tools.sleep ?? sleep;
  const random = tools.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (attempt >= policy.attempts || !isRetryable(error)) throw error;
      const delay = backoffDelay(policy, attempt, random);
      if (tools.hasTimeFor && !tools.hasTimeFor(delay)) throw error;
      tools.onRetry?.(error, attempt, delay);
      await wait(delay);
    }
  }
}
