import { randomUUID } from 'node:crypto';
import type { RefreshMessage } from '../lambdas/domain/token-refresh';
import type { Clock, RefreshQueue } from '../lambdas/ports';

interface Held {
  readonly id: string;
  readonly openId: string;
  visibleAt: number;
  receiveCount: number;
}

/**
 * The local mode's refresh queue, with SQS's behaviour: a received message is hidden for the visibility timeout
 * and comes back unless deleted; a message received too often goes to the dead letters.
 */
export class LocalRefreshQueue implements RefreshQueue {
  private messages: Held[] = [];
  private readonly deadLetters: Held[] = [];

  constructor(
    private readonly clock: Pick<Clock, 'now'>,
    private readonly visibilityTimeoutMs = 90_000,
    private readonly maxReceiveCount = 10,
  ) {}

  async enqueue(openIds: readonly string[]): Promise<void> {
    const now = this.clock.now().getTime();
    for (const openId of openIds) this.messages.push({ id: randomUUID(), openId, visibleAt: now, receiveCount: 0 });
  }

  /** Up to `max` visible messages, hidden for the visibility timeout. */
  receive(max = 10): RefreshMessage[] {
    const now = this.clock.now().getTime();
    for (const message of this.messages.filter(
      (held) => held.visibleAt <= now && held.receiveCount >= this.maxReceiveCount,
    )) {
      this.deadLetters.push(message);
    }
    this.messages = this.messages.filter((held) => !this.deadLetters.includes(held));
    const received = this.messages.filter((held) => held.visibleAt <= now).slice(0, max);
    for (const message of received) {
      message.receiveCount++;
      message.visibleAt = now + this.visibilityTimeoutMs;
    }
    return received.map(({ id, openId, receiveCount }) => ({ id, openId, receiveCount }));
  }

  delete(id: string): void {
    this.messages = this.messages.filter((held) => held.id !== id);
  }

  retryLater(id: string, delaySeconds: number): void {
    const message = this.messages.find((held) => held.id === id);
    if (message) message.visibleAt = this.clock.now().getTime() + delaySeconds * 1000;
  }

  /** How many messages (visible or in flight, not dead) each seller has. */
  messagesPerSeller(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const held of this.messages) counts.set(held.openId, (counts.get(held.openId) ?? 0) + 1);
    return counts;
  }

  depth(): { visible: number; inFlight: number; deadLetters: number } {
    const now = this.clock.now().getTime();
    const visible = this.messages.filter((held) => held.visibleAt <= now).length;
    return { visible, inFlight: this.messages.length - visible, deadLetters: this.deadLetters.length };
  }
}
