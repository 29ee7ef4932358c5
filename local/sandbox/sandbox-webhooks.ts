import type { Clock } from '../../lambdas/ports';
import { signWebhook } from './sandbox-signing';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/**
 * When TikTok tries a webhook again after a try that failed (protocol section 7): 2 minutes after the first
 * failure, then 30 minutes, 3 hours and 12 hours after each further one; after the fifth try it gives up.
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [2 * MINUTE, 30 * MINUTE, 3 * HOUR, 12 * HOUR];

/** What one webhook says: the envelope's fields, before it is serialized once for all its tries. */
export interface WebhookEnvelope {
  readonly type: number;
  readonly notificationId: string;
  /** Absent for a webhook about no shop: the envelope then has no `shop_id` field at all. */
  readonly shopId?: string;
  /** Unix seconds: when TikTok made the webhook, however late it is delivered. */
  readonly timestamp: number;
  readonly data: Readonly<Record<string, unknown>>;
}

/** How TikTok misbehaves delivering one webhook, on request. */
export interface WebhookDeliveryPlan {
  /** The first try happens only this long after the webhook was made. @default 0 */
  readonly delayMs?: number;
  /** How many identical copies (same body, same `tts_notification_id`) follow the original. @default 0 */
  readonly duplicates?: number;
  /** The gap between the original's first try and each copy's (copy n: n times the gap). @default 0 */
  readonly duplicateAfterMs?: number;
}

/** One try to deliver one copy of a webhook, as the sandbox records it. */
export interface WebhookDelivery {
  readonly notificationId: string;
  readonly type: number;
  readonly shopId: string | undefined;
  /** When TikTok's schedule put this try, on the sandbox's clock. */
  readonly at: Date;
  /** 1 for the first try of a copy, up to 5. */
  readonly attempt: number;
  /** 0 for the original, 1..n for the duplicates. */
  readonly copy: number;
  /** The HTTP status answered; 0 when no answer came (network error or timeout). */
  readonly status: number;
  /** Why no answer came, when none did. */
  readonly error?: string;
  /** When the next try is due; absent once delivered or given up. */
  readonly nextTryAt?: Date;
}

/** The answer to a try made at once. */
export interface WebhookTry {
  readonly notificationId: string;
  /** The HTTP status answered; 0 when no answer came (network error or timeout). */
  readonly status: number;
  readonly body: string;
  readonly error?: string;
}

/** A try still to come. */
export interface QueuedWebhookTry {
  readonly notificationId: string;
  readonly copy: number;
  readonly attempt: number;
  readonly dueAt: Date;
}

/** A webhook whose first try is still to come. */
export interface WebhookQueued {
  readonly notificationId: string;
  readonly firstTryAt: Date;
}

interface PendingTry {
  readonly envelope: WebhookEnvelope;
  readonly body: string;
  readonly copy: number;
  readonly attempt: number;
  readonly dueAt: Date;
  /** Breaks ties between tries due at the same moment: the order they were queued in. */
  readonly sequence: number;
}

export interface SandboxWebhooksOptions {
  /** The app's webhook URL, as set in Partner Center. */
  readonly url: string;
  readonly appKey: string;
  /** The app secret at the time of each try: a rotated secret signs the tries that follow. */
  readonly appSecret: () => string;
  readonly clock: Clock;
  /** TikTok wants an answer within 3 seconds; a later one counts as a failed try. */
  readonly timeoutMs: number;
}

/**
 * TikTok's webhook delivery, on the sandbox's clock: each copy is tried when due, tried again on TikTok's schedule
 * after a non-200 answer or no answer, and every try is recorded. Time moves only when the clock says so: tries
 * fall due on `deliverDue`, which tests call after moving the clock and local mode calls from a timer.
 */
export class SandboxWebhooks {
  private readonly pending: PendingTry[] = [];
  private sequence = 0;
  /** One delivery round at a time, so that a timer's round and a test's never try the same copy twice. */
  private round: Promise<unknown> = Promise.resolve();
  /** Every try made, in the order made. */
  readonly deliveries: WebhookDelivery[] = [];

  constructor(private readonly options: SandboxWebhooksOptions) {}

  /** The tries still to come, soonest first. */
  queued(): QueuedWebhookTry[] {
    return this.sorted().map(({ envelope, copy, attempt, dueAt }) => ({
      notificationId: envelope.notificationId,
      copy,
      attempt,
      dueAt,
    }));
  }

  /**
   * Queues a webhook's original and copies. When the original's first try is due now, makes it (and the copies due
   * with it) before returning its answer; otherwise returns when it will be tried.
   */
  async send(envelope: WebhookEnvelope, plan: WebhookDeliveryPlan = {}): Promise<WebhookTry | WebhookQueued> {
    const made = this.options.clock.now();
    const firstTryAt = new Date(made.getTime() + (plan.delayMs ?? 0));
    // Serialized once: every try and every copy carries exactly the same bytes, as a redelivery does.
    const body = serializeEnvelope(envelope);
    const copies = Array.from({ length: (plan.duplicates ?? 0) + 1 }, (_, copy) => ({
      envelope,
      body,
      copy,
      attempt: 1,
      dueAt: new Date(firstTryAt.getTime() + copy * (plan.duplicateAfterMs ?? 0)),
      sequence: this.sequence++,
    }));
    const [original, ...duplicates] = copies;
    if (!original || firstTryAt > made) {
      this.pending.push(...copies);
      return { notificationId: envelope.notificationId, firstTryAt };
    }
    // The first try is made now, on the caller's await; the copies due with it follow right after.
    const answer = await this.attempt(original);
    for (const duplicate of duplicates) {
      if (duplicate.dueAt <= made) await this.attempt(duplicate);
      else this.pending.push(duplicate);
    }
    return { notificationId: envelope.notificationId, ...answer };
  }

  /** Queues a webhook to be tried at `dueAt`, without trying it now. */
  enqueue(envelope: WebhookEnvelope, dueAt: Date): void {
    this.pending.push({
      envelope,
      body: serializeEnvelope(envelope),
      copy: 0,
      attempt: 1,
      dueAt,
      sequence: this.sequence++,
    });
  }

  /** Makes every try whose time has come on the clock, oldest first, retries falling due meanwhile included. */
  deliverDue(): Promise<WebhookDelivery[]> {
    const round = this.round.then(() => this.deliverDueNow());
    this.round = round.catch(() => undefined);
    return round;
  }

  private async deliverDueNow(): Promise<WebhookDelivery[]> {
    // Read once: a retry scheduled during this round for later than now waits for the next round.
    const now = this.options.clock.now().getTime();
    const made: WebhookDelivery[] = [];
    for (;;) {
      const [next] = this.sorted();
      if (!next || next.dueAt.getTime() > now) return made;
      this.pending.splice(this.pending.indexOf(next), 1);
      await this.attempt(next);
      const recorded = this.deliveries.at(-1);
      if (recorded) made.push(recorded);
    }
  }

  /** One try: records it and, after a failure, queues the next try on TikTok's schedule. */
  private async attempt(pending: PendingTry): Promise<{ status: number; body: string; error?: string }> {
    const answer = await this.post(pending.body);
    const retryAfter = answer.status === 200 ? undefined : WEBHOOK_RETRY_DELAYS_MS[pending.attempt - 1];
    const nextTryAt = retryAfter === undefined ? undefined : new Date(pending.dueAt.getTime() + retryAfter);
    this.deliveries.push({
      notificationId: pending.envelope.notificationId,
      type: pending.envelope.type,
      shopId: pending.envelope.shopId,
      at: pending.dueAt,
      attempt: pending.attempt,
      copy: pending.copy,
      status: answer.status,
      ...(answer.error === undefined ? {} : { error: answer.error }),
      ...(nextTryAt === undefined ? {} : { nextTryAt }),
    });
    if (nextTryAt) {
      this.pending.push({ ...pending, attempt: pending.attempt + 1, dueAt: nextTryAt, sequence: this.sequence++ });
    }
    return answer;
  }

  private async post(body: string): Promise<{ status: number; body: string; error?: string }> {
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: signWebhook(this.options.appKey, this.options.appSecret(), Buffer.from(body, 'utf8')),
        },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      return { status: response.status, body: await response.text() };
    } catch (error) {
      // No answer (refused, reset, or slower than TikTok waits): a failed try like any other.
      return { status: 0, body: '', error: error instanceof Error ? error.message : 'no answer' };
    }
  }

  private sorted(): PendingTry[] {
    return [...this.pending].sort((a, b) => a.dueAt.getTime() - b.dueAt.getTime() || a.sequence - b.sequence);
  }
}

/** The envelope in TikTok's field order; `shop_id` only when there is a shop (TikTok sends no empty one). */
export function serializeEnvelope(envelope: WebhookEnvelope): string {
  return JSON.stringify({
    type: envelope.type,
    tts_notification_id: envelope.notificationId,
    ...(envelope.shopId === undefined ? {} : { shop_id: envelope.shopId }),
    timestamp: envelope.timestamp,
    data: envelope.data,
  });
}
