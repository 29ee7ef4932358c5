import { Duration } from 'aws-cdk-lib';
import { type Archive, EventBus } from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '../../lambdas/domain/events';

export interface LifecycleEventBusProps {
  /** @default 'tiktok-shop-auth' (the construct `TikTokShopAuth` always gives one) */
  readonly eventBusName?: string;
  /** How long the archive keeps events for replay. @default Duration.days(365) */
  readonly archiveRetention?: Duration;
}

/**
 * The bus the service's lifecycle events go to, for the app's other services to subscribe to, with an archive:
 * a replayable audit trail of every seller's authorizations (events carry no tokens).
 */
export class LifecycleEventBus extends Construct {
  public readonly bus: EventBus;
  public readonly archive: Archive;

  constructor(scope: Construct, id: string, props: LifecycleEventBusProps = {}) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', {
      eventBusName: props.eventBusName ?? 'tiktok-shop-auth',
      description: 'Lifecycle events of TikTok Shop sellers authorizations',
    });
    this.archive = this.bus.archive('Archive', {
      description: 'Every tiktok-shop-auth lifecycle event, for replay and audit',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: props.archiveRetention ?? Duration.days(365),
    });
  }
}
