import type { RefusalRecord } from '../ports';

/**
 * When a refusal of TikTok's is believed (design: "a bad day"). TikTok documents few refusal codes, and a wrong
 * or rotated app secret may come back worded in a way no document lists; believing such a refusal would send
 * every seller whose token comes due through authorization again. So:
 * - a code known to be about the seller (36004001, 36004005) marks the grant REAUTH_REQUIRED at once;
 * - any other refusal is suspect: counted, logged for the alarm, and retried later with the queue's backoff;
 * - suspect refusals of `sellersToPause` distinct sellers within `windowMs` pause every refresh for `pauseMs`
 *   (the circuit breaker), after which refreshes resume, and pause again if the refusals go on;
 * - a seller refused suspectly for `markAfterMs`, while other sellers' refreshes work since, must authorize again.
 */
export interface RefusalRules {
  readonly sellersToPause: number;
  readonly windowMs: number;
  readonly pauseMs: number;
  readonly markAfterMs: number;
}

const MINUTE = 60_000;

export const REFUSAL_RULES: RefusalRules = {
  sellersToPause: 3,
  windowMs: 15 * MINUTE,
  pauseMs: 15 * MINUTE,
  markAfterMs: 24 * 60 * MINUTE,
};

/** A success is noted at most this often: enough to tell "others refresh fine", one write in many refreshes. */
export const SUCCESS_NOTE_EVERY_MS = 5 * MINUTE;

/** The log line each suspect refusal writes; an alarm counts it. */
export const SUSPECT_REFUSAL_MESSAGE = 'TikTok refused a refresh for a reason not known to be about the seller';

/** The log line written when the breaker opens. */
export const REFRESHES_PAUSED_MESSAGE =
  'refreshes paused: TikTok refused several sellers for reasons not about one seller; check the app secret';

export function pausedUntil(record: RefusalRecord, now: Date): Date | undefined {
  return record.pausedUntil && record.pausedUntil > now ? record.pausedUntil : undefined;
}

/** Whether refusals of enough distinct sellers within the window call for a pause. */
export function calledForPause(record: RefusalRecord, now: Date, rules: RefusalRules): boolean {
  const since = now.getTime() - rules.windowMs;
  return record.refusals.filter((refusal) => refusal.at.getTime() > since).length >= rules.sellersToPause;
}

/**
 * Whether a seller refused since `suspectSince` must now authorize again: long enough, and the app's credentials
 * shown good since by another seller's refresh.
 */
export function refusalBelieved(record: RefusalRecord, suspectSince: Date, now: Date, rules: RefusalRules): boolean {
  return (
    now.getTime() - suspectSince.getTime() >= rules.markAfterMs &&
    record.lastSuccessAt !== undefined &&
    record.lastSuccessAt > suspectSince &&
    pausedUntil(record, now) === undefined
  );
}

export function successWorthNoting(record: RefusalRecord, now: Date): boolean {
  return !record.lastSuccessAt || now.getTime() - record.lastSuccessAt.getTime() >= SUCCESS_NOTE_EVERY_MS;
}
