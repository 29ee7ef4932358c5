/** When and how long the client waits before trying a request again. */
export interface RetryOptions {
  /** Tries in all, the first included; 1 turns retries off. @default 3 */
  readonly maxAttempts?: number;
  /** The first backoff's ceiling; each further try doubles it. @default 100 */
  readonly baseDelayMs?: number;
  /**
   * The longest wait between two tries. A `retry-after` longer than this is not waited for: the refusal goes to the
   * caller, with `retryAfterSeconds`, to schedule as it sees fit.
   * @default 10_000
   */
  readonly maxDelayMs?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 10_000 };

/** The options with each unset one (or one set to `undefined`) at its default; a value that could loop is refused. */
export function retryPolicy(options: RetryOptions = {}): RetryPolicy {
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new RangeError('retry.maxAttempts must be a whole number of tries, at least 1');
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(policy[name]) || policy[name] < 0)
      throw new RangeError(`retry.${name} must be a finite delay`);
  }
  return policy;
}

/**
 * How long to wait after the failed try number `attempt` (1-based), or `undefined` to give up. The service's
 * `retry-after` is honoured, spread by up to one base delay so that callers turned away together do not return
 * together; without one, "full jitter" exponential backoff (a random wait up to the doubled ceiling).
 */
export function retryDelayMs(
  attempt: number,
  retryAfterSeconds: number | undefined,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number | undefined {
  if (attempt >= policy.maxAttempts) return undefined;
  if (retryAfterSeconds !== undefined) {
    const asked = retryAfterSeconds * 1000;
    if (asked > policy.maxDelayMs) return undefined;
    return Math.min(policy.maxDelayMs, asked + random() * policy.baseDelayMs);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return random() * ceiling;
}

/** `retry-after` in seconds (a number of seconds, or an HTTP date), when it is present and readable. */
export function parseRetryAfter(header: string | null, now: Date): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  if (!/GMT$/.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now.getTime()) / 1000));
}
