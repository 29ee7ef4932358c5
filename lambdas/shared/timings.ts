import type { FunctionGroup } from './routes';

/** Every Lambda entry point: the API's route groups, the schedules' sweeps and the refresh worker. */
export type HandlerName = FunctionGroup | 'refresh-sweep' | 'refresh-worker' | 'reminder-sweep' | 'outbox-sweep';

export interface FunctionTiming {
  /** Lambda's timeout. */
  readonly timeoutSeconds: number;
  /** What the function's work may take, every TikTok and AWS call included; the rest is its margin. */
  readonly budgetMs: number;
}

/**
 * Timeouts and time budgets, the one place both come from: the CDK constructs set each function's timeout and
 * `TIME_BUDGET_MS` from here, and the handlers run their work within that budget (or less, when Lambda says less
 * time remains). The margin between the two is for shaping the answer, handing messages back and flushing metrics,
 * never for a call that might hang.
 */
export const FUNCTION_TIMINGS = {
  // TikTok wants an answer within 3 seconds.
  'tiktok-webhook': { timeoutSeconds: 6, budgetMs: 3_000 },
  // Two TikTok calls and the writes that store what they gave; the seller's browser waits.
  'oauth-callback': { timeoutSeconds: 20, budgetMs: 17_000 },
  'seller-api': { timeoutSeconds: 10, budgetMs: 7_000 },
  // A caller wants a token now: when TikTok is slow it gets the one still valid, well before the timeout.
  credentials: { timeoutSeconds: 15, budgetMs: 8_000 },
  'refresh-worker': { timeoutSeconds: 30, budgetMs: 25_000 },
  'refresh-sweep': { timeoutSeconds: 300, budgetMs: 270_000 },
  'reminder-sweep': { timeoutSeconds: 300, budgetMs: 270_000 },
  'outbox-sweep': { timeoutSeconds: 120, budgetMs: 100_000 },
} as const satisfies Record<HandlerName, FunctionTiming>;

/** The least time left between a budget's end and the function's timeout. */
export const MIN_MARGIN_MS = 2_000;

/** What must not be abandoned (storing tokens TikTok just gave) may run past the budget until this before the timeout. */
export const FINAL_MARGIN_MS = 1_000;

/** The refresh worker keeps this much of its budget to hand messages back (a call to SQS each). */
export const WORKER_HAND_BACK_MS = 1_500;

/** TikTok calls stop this long before the budget ends: what TikTok answers must still be sealed and stored. */
export const TIKTOK_RESERVE_MS = 3_000;

/**
 * The worker starts a refresh only with this much time left: a lease, the secret, an unseal, TikTok's attempts
 * within their reserve, sealing and the write, with room to spare.
 */
export const REFRESH_NEEDS_MS = 12_000;
