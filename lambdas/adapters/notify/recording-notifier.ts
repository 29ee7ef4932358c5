import type { Clock, Notifier } from '../../ports';
import { systemClock } from '../../shared/clock';

export interface RecordedNotification {
  readonly time: string;
  readonly subject: string;
  readonly message: string;
}

/** The local mode's stand-in for the SNS topic: keeps the messages for `GET /_local/notifications`. */
export class RecordingNotifier implements Notifier {
  private readonly notifications: RecordedNotification[] = [];

  constructor(private readonly clock: Pick<Clock, 'now'> = systemClock) {}

  async notify(subject: string, message: string): Promise<void> {
    this.notifications.push({ time: this.clock.now().toISOString(), subject, message });
  }

  list(): readonly RecordedNotification[] {
    return [...this.notifications];
  }
}
