import { AsyncLocalStorage } from 'node:async_hooks';
import type { Context } from 'aws-lambda';
import type { TimeBudget } from '../ports';
import { FUNCTION_TIMINGS, type HandlerName, MIN_MARGIN_MS } from './timings';

const deadlines = new AsyncLocalStorage<number>();

/**
 * The time the current invocation has left, read where each call is made (Node's async context carries the
 * deadline through every await, like a Go context): unlimited outside `withinBudget`.
 */
export const invocationBudget: TimeBudget = {
  remainingMs() {
    const deadline = deadlines.getStore();
    return deadline === undefined ? Number.POSITIVE_INFINITY : deadline - Date.now();
  },
};

/** Runs `work` with at most `ms` left for it; a budget already running inside stays the tighter of the two. */
export function withinBudget<T>(ms: number, work: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + Math.max(0, ms);
  const outer = deadlines.getStore();
  return deadlines.run(outer === undefined ? deadline : Math.min(outer, deadline), work);
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
  const remaining = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() : NaN;
  return Number.isFinite(remaining) ? Math.min(budget, remaining - MIN_MARGIN_MS) : budget;
}

/** A handler whose whole invocation runs within its function's budget. */
export function budgeted<E, R>(
  name: HandlerName,
  handler: (event: E, context: Context) => Promise<R>,
): (event: E, context: Context) => Promise<R> {
  return (event, context) => withinBudget(functionBudgetMs(name, context), () => handler(event, context));
}
