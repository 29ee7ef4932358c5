import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { HttpHandlerOptions } from '@smithy/types';
import { TimeBudgetExhaustedError } from '../domain/errors';
import type { TimeBudget } from '../ports';
import { budgetSignal, invocationBudget } from './time-budget';

/** Timeouts and attempts of AWS calls: a hung call helps nobody. */
export interface AwsCallPolicy {
  readonly maxAttempts: number;
  readonly connectionTimeout: number;
  readonly requestTimeout: number;
}

export const AWS_CALLS: AwsCallPolicy = { maxAttempts: 3, connectionTimeout: 1000, requestTimeout: 2500 };

/** For the webhook path: TikTok wants its answer within 3 seconds, all calls included. */
export const FAST_AWS_CALLS: AwsCallPolicy = { maxAttempts: 2, connectionTimeout: 300, requestTimeout: 700 };

/** A call is not started with less than this left: it could not finish. */
const MIN_CALL_MS = 50;

/**
 * The SDK's HTTP handler, held to the invocation's time budget: each request is cut at the budget's end (its
 * timeout shrinks to what is left), and none starts once the budget is spent; either way the caller gets a
 * `TimeBudgetExhaustedError`. A request that outlasts its own timeout is not failed and retried: a retried
 * conditional write that had already been applied would refuse its own effect (a state "already used").
 */
export class BudgetedHttpHandler extends NodeHttpHandler {
  constructor(
    private readonly policy: AwsCallPolicy,
    private readonly budget: Pick<TimeBudget, 'remainingMs'> = invocationBudget,
    private readonly deadlineSignal: () => AbortSignal | undefined = budgetSignal,
  ) {
    super({
      connectionTimeout: policy.connectionTimeout,
      requestTimeout: policy.requestTimeout,
    });
  }

  override async handle(request: Parameters<NodeHttpHandler['handle']>[0], options: HttpHandlerOptions = {}) {
    const left = Math.floor(this.budget.remainingMs());
    const deadline = this.deadlineSignal();
    if (!Number.isFinite(left) || !deadline) return super.handle(request, options);
    const spent = () => new TimeBudgetExhaustedError(`a call to ${request.hostname}`);
    if (left < MIN_CALL_MS || deadline.aborted) throw spent();
    try {
      return await super.handle(request, {
        ...options,
        abortSignal: options.abortSignal ? AbortSignal.any([options.abortSignal as AbortSignal, deadline]) : deadline,
        requestTimeout: Math.min(this.policy.requestTimeout, left),
      });
    } catch (error) {
      if (deadline.aborted && !options.abortSignal?.aborted) throw spent();
      throw error;
    }
  }
}

/** An AWS SDK client's configuration under `policy` and the invocation's budget. */
export function awsClientConfig(policy: AwsCallPolicy = AWS_CALLS) {
  return { maxAttempts: policy.maxAttempts, requestHandler: new BudgetedHttpHandler(policy) };
}

/** A DynamoDB document client with this service's timeouts, budget and marshalling rules. */
export function createDocumentClient(
  config: DynamoDBClientConfig = {},
  policy: AwsCallPolicy = AWS_CALLS,
): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ ...awsClientConfig(policy), ...config });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}
