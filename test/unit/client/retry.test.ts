import { DEFAULT_RETRY, parseRetryAfter, retryDelayMs, retryPolicy } from '../../../client/retry';

describe('when the client tries again', () => {
  const policy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000 };

  it('waits the retry-after the service asked for, spread by up to one base delay', () => {
    expect(retryDelayMs(1, 1, policy, () => 0)).toBe(1_000);
    expect(retryDelayMs(1, 0, policy, () => 0.5)).toBe(50);
    expect(retryDelayMs(2, 0, policy, () => 0.999)).toBeCloseTo(99.9, 6);
  });

  it('does not wait a retry-after longer than its cap: the caller gets the refusal', () => {
    expect(retryDelayMs(1, 2, policy, () => 0)).toBeUndefined();
  });

  it('keeps a spread retry-after within the cap', () => {
    expect(retryDelayMs(1, 1, policy, () => 0.9)).toBe(1_000);
  });

  it('backs off with full jitter, doubling the ceiling each try, up to the cap', () => {
    const ceilings = [1, 2, 3].map((attempt) => retryDelayMs(attempt, undefined, policy, () => 1));
    const tenth = retryDelayMs(2, undefined, { ...policy, maxAttempts: 20 }, () => 0.1);
    const capped = retryDelayMs(9, undefined, { ...policy, maxAttempts: 20 }, () => 1);

    expect(ceilings).toEqual([100, 200, 400]);
    expect(tenth).toBeCloseTo(20, 6);
    expect(capped).toBe(1_000);
  });

  it('fills an option left unset, or set to undefined, with its default, so that tries always end', () => {
    expect(retryPolicy({ maxAttempts: undefined, maxDelayMs: 500 })).toEqual({ ...DEFAULT_RETRY, maxDelayMs: 500 });
    expect(retryPolicy()).toEqual(DEFAULT_RETRY);
  });

  it.each([
    [{ maxAttempts: 0 }, 'retry.maxAttempts must be a whole number of tries, at least 1'],
    [{ maxAttempts: Number.POSITIVE_INFINITY }, 'retry.maxAttempts must be a whole number of tries, at least 1'],
    [{ baseDelayMs: Number.NaN }, 'retry.baseDelayMs must be a finite delay'],
    [{ maxDelayMs: -1 }, 'retry.maxDelayMs must be a finite delay'],
  ])('refuses %j, which could try forever or never wait', (options, message) => {
    expect(() => retryPolicy(options)).toThrow(message);
  });

  it('gives up after the last try', () => {
    expect(retryDelayMs(4, undefined, policy, () => 0)).toBeUndefined();
    expect(retryDelayMs(4, 0, policy, () => 0)).toBeUndefined();
    expect(retryDelayMs(1, undefined, { ...policy, maxAttempts: 1 }, () => 0)).toBeUndefined();
  });

  it('tries three times by default, waiting at most 10 seconds between two', () => {
    expect(DEFAULT_RETRY).toEqual({ maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 10_000 });
  });
});

describe('reading retry-after', () => {
  const now = new Date('2026-12-01T10:00:00.000Z');

  it('reads seconds', () => {
    expect(parseRetryAfter('5', now)).toBe(5);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP date as the seconds until then, never less than none', () => {
    expect(parseRetryAfter('Tue, 01 Dec 2026 10:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Tue, 01 Dec 2026 09:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-1', now)).toBeUndefined();
  });
});
