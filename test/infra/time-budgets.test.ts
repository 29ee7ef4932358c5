import { tokenRefreshSettings } from '../../lambdas/shared/config';
import { FUNCTION_TIMINGS, MIN_MARGIN_MS } from '../../lambdas/shared/timings';
import { synthStack } from './synth';

describe('time budgets', () => {
  const { template } = synthStack();
  const functions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
    // CDK's own helper functions (log retention, custom resources) are not the service's.
    ([, resource]) => resource.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === 'tiktok-shop-auth',
  );

  it('finds every function of the service', () => {
    expect(functions).toHaveLength(Object.keys(FUNCTION_TIMINGS).length);
  });

  it.each(Object.keys(FUNCTION_TIMINGS))('gives %s its timeout and a budget, from the timings table', (name) => {
    const timing = FUNCTION_TIMINGS[name as keyof typeof FUNCTION_TIMINGS];
    const matching = functions.filter(
      ([, resource]) =>
        resource.Properties.Environment.Variables.TIME_BUDGET_MS === String(timing.budgetMs) &&
        resource.Properties.Timeout === timing.timeoutSeconds,
    );
    expect(matching.length).toBeGreaterThanOrEqual(1);
  });

  it('leaves every function its margin: budget plus margin below the timeout', () => {
    const tooTight = functions
      .map(([id, resource]) => ({
        id,
        budgetMs: Number(resource.Properties.Environment.Variables.TIME_BUDGET_MS),
        timeoutMs: Number(resource.Properties.Timeout) * 1000,
      }))
      .filter(({ budgetMs, timeoutMs }) => !(Number.isInteger(budgetMs) && budgetMs + MIN_MARGIN_MS < timeoutMs));

    expect(tooTight).toEqual([]);
  });

  it("outlasts the worker with its lease: a refresh waiting for its turn at TikTok cannot lose the grant's lease", () => {
    expect(tokenRefreshSettings({}).leaseMs).toBeGreaterThan(FUNCTION_TIMINGS['refresh-worker'].timeoutSeconds * 1000);
  });
});
