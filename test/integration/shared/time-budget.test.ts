import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { TimeBudgetExhaustedError } from '../../../lambdas/domain/errors';
import { awsClientConfig } from '../../../lambdas/shared/aws-clients';
import {
  asInvocation,
  budgetSignal,
  functionBudgetMs,
  invocationBudget,
  withinBudget,
} from '../../../lambdas/shared/time-budget';
import { FINAL_MARGIN_MS, FUNCTION_TIMINGS, MIN_MARGIN_MS } from '../../../lambdas/shared/timings';

describe('the invocation’s time budget', () => {
  describe('functionBudgetMs', () => {
    it('takes TIME_BUDGET_MS as the construct set it, and the timings table without it', () => {
      expect(functionBudgetMs('credentials', undefined, { TIME_BUDGET_MS: '4000' })).toBe(4000);
      expect(functionBudgetMs('credentials', undefined, {})).toBe(FUNCTION_TIMINGS.credentials.budgetMs);
      expect(functionBudgetMs('credentials', undefined, { TIME_BUDGET_MS: 'soon' })).toBe(
        FUNCTION_TIMINGS.credentials.budgetMs,
      );
    });

    it('takes less when Lambda says less time remains than the budget and its margin', () => {
      const context = { getRemainingTimeInMillis: () => 5000 };

      expect(functionBudgetMs('refresh-worker', context, {})).toBe(5000 - MIN_MARGIN_MS);
      expect(functionBudgetMs('refresh-worker', { getRemainingTimeInMillis: () => 600_000 }, {})).toBe(
        FUNCTION_TIMINGS['refresh-worker'].budgetMs,
      );
    });
  });

  describe('withinBudget', () => {
    it('is unlimited outside any budget', () => {
      expect(invocationBudget.remainingMs()).toBe(Number.POSITIVE_INFINITY);
    });

    it('carries the deadline through awaits, and keeps the tighter of two nested budgets', async () => {
      const seen = await withinBudget(10_000, async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        const outer = invocationBudget.remainingMs();
        const inner = await withinBudget(60_000, async () => invocationBudget.remainingMs());
        const tighter = await withinBudget(1_000, async () => invocationBudget.remainingMs());
        return { outer, inner, tighter };
      });

      expect(seen.outer).toBeLessThanOrEqual(10_000);
      expect(seen.outer).toBeGreaterThan(9_000);
      expect(seen.inner).toBeLessThanOrEqual(seen.outer);
      expect(seen.tighter).toBeLessThanOrEqual(1_000);
    });
  });

  describe('asInvocation', () => {
    it('lets what must not be abandoned run past the budget, until a second before Lambda’s timeout', async () => {
      const seen = await asInvocation('credentials', { getRemainingTimeInMillis: () => 15_000 }, async () => ({
        budget: invocationBudget.remainingMs(),
        finishing: await invocationBudget.finishing(async () => invocationBudget.remainingMs()),
        insideAPart: await withinBudget(1_000, () =>
          invocationBudget.finishing(async () => invocationBudget.remainingMs()),
        ),
      }));

      expect(seen.budget).toBeLessThanOrEqual(FUNCTION_TIMINGS.credentials.budgetMs);
      expect(seen.budget).toBeGreaterThan(FUNCTION_TIMINGS.credentials.budgetMs - 500);
      expect(seen.finishing).toBeLessThanOrEqual(15_000 - FINAL_MARGIN_MS);
      expect(seen.finishing).toBeGreaterThan(15_000 - FINAL_MARGIN_MS - 500);
      expect(seen.insideAPart).toBeGreaterThan(seen.budget);
    });

    it('makes one deadline signal per budget, not one per call', async () => {
      await withinBudget(1_000, async () => {
        const first = budgetSignal();
        await new Promise((resolve) => setTimeout(resolve, 1));
        expect(budgetSignal()).toBe(first);
        expect(await withinBudget(500, async () => budgetSignal())).not.toBe(first);
      });
      expect(budgetSignal()).toBeUndefined();
    });
  });

  describe('AWS calls', () => {
    let server: Server;
    let requests: number;
    let endpoint: string;

    beforeAll(async () => {
      // An AWS endpoint that accepts connections and never answers.
      server = createServer(() => {
        requests++;
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    beforeEach(() => {
      requests = 0;
    });
    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    const client = () =>
      new DynamoDBClient({
        ...awsClientConfig({ maxAttempts: 3, connectionTimeout: 1000, requestTimeout: 30_000 }),
        endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      });

    it('starts no call once the budget is spent', async () => {
      const call = withinBudget(10, async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return client().send(new ListTablesCommand({}));
      });

      await expect(call).rejects.toBeInstanceOf(TimeBudgetExhaustedError);
      expect(requests).toBe(0);
    });

    it('cuts a hanging call at the budget’s end, whatever its own timeout, and retries nothing past it', async () => {
      const call = withinBudget(300, () => client().send(new ListTablesCommand({})));

      // Not the SDK's AbortError: the caller learns it ran out of time (a 503 at the edge, not a 500).
      await expect(call).rejects.toBeInstanceOf(TimeBudgetExhaustedError);
      expect(requests).toBe(1);
    });
  });
});
