import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import type { TimeBudget } from '../ports';
import { FINAL_MARGIN_MS, FUNCTION_TIMINGS, type HandlerName, MIN_MARGIN_MS } from './timings';

/** One invocation's (or one part's) deadlines, and the one signal that fires at its deadline. */
class Scope {
  private signal?: AbortSignal;

  constructor(
    /** When the budget ends: no call starts after it, and calls under way are cut at it. */
    readonly deadline: number,
    /** When the invocation really must stop: what must not be abandoned (storing new tokens) may run until then. */
    readonly hardDeadline: number,
  ) {}

  /** Made once per scope, not once per call: a sweep makes thousands of calls within one budget. */
  deadlineSignal(): AbortSignal {
    this.signal ??= AbortSignal.timeout(Math.max(0, this.deadline - Date.now()));
    return this.signal;
  }
}

const scopes = new AsyncLocalStorage<Scope>();

/**
 * The time the current invocation has left, read where each call is made (Node's async context carries the
 * deadline through every await, like a Go context): unlimited outside a budget.
 */
export const invocationBudget: TimeBudget = {
  remainingMs() {
    const scope = scopes.getStore();
    return scope === undefined ? Number.POSITIVE_INFINITY : scope.deadline - Date.now();
  },
  finishing(work) {
    const scope = scopes.getStore();
    return scope === undefined ? work() : scopes.run(new Scope(scope.hardDeadline, scope.hardDeadline), work);
  },
};

/** The signal that fires when the current budget ends; none outside a budget. */
export function budgetSignal(): AbortSignal | undefined {
  return scopes.getStore()?.deadlineSignal();
}

/** Runs `work` with at most `ms` left for it; a budget already running stays the tighter of the two. */
export function withinBudget<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const outer = scopes.getStore();
  const deadline = Math.min(outer?.deadline ?? Number.POSITIVE_INFINITY, Date.now() + Math.max(0, ms));
  return scopes.run(new Scope(deadline, outer?.hardDeadline ?? deadline), work);
}

/**
 * A function's budget for this invocation: `TIME_BUDGET_MS` as its construct set it (the timings table when
 * unset, as in local mode), and less when Lambda says less time remains than the budget plus the margin.
 */
export function functionBudgetMs(
  name: HandlerName,
  context?: Pick<Context, 'getRemainingTimeInMillis'>,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const configured = Number(env.TIME_BUDGET_MS);
  const budget = Number.isInteger(configured) && configured > 0 ? configured : FUNCTION_TIMINGS[name].budgetMs;
  const remaining = lambdaRemainingMs(context);
  return remaining === undefined ? budget : Math.min(budget, remaining - MIN_MARGIN_MS);
}

const lambdaRemainingMs = (context?: Pick<Context, 'getRemainingTimeInMillis'>) =>
  typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : undefined;

/**
 * Runs `work` as one invocation of the function `name`: within its budget, and with what must not be abandoned
 * allowed to go on until a second before Lambda's timeout (`invocationBudget.finishing`). Without a Lambda context
 * (local mode), as if Lambda had the budget and its margin left.
 */
export function asInvocation<T>(
  name: HandlerName,
  context: Pick<Context, 'getRemainingTimeInMillis'> | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const now = Date.now();
  const budget = functionBudgetMs(name, context);
  const remaining = lambdaRemainingMs(context) ?? budget + MIN_MARGIN_MS;
  return scopes.run(new Scope(now + budget, now + Math.max(budget, remaining - FINAL_MARGIN_MS)), work);
}

/** A handler whose every invocation runs as `asInvocation` says. */
export function budgeted<E, R>(
  name: HandlerName,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return (event, context) => asInvocation(name, context, () => handler(event, context));
}
