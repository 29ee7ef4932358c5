import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AppSecret } from './constructs/app-secret';
import { GrantTable } from './constructs/grant-table';
import { LifecycleEventBus } from './constructs/lifecycle-event-bus';
import { TokenSealingKey } from './constructs/token-sealing-key';

export interface TikTokShopAuthStackProps extends StackProps {
  /** An existing Secrets Manager secret holding `{"app_key", "app_secret"}`. @default a new, empty secret */
  readonly appSecretName?: string;
  /** @default 'tiktok-shop-auth' */
  readonly eventBusName?: string;
}

/** One TikTok app in one market: composition only, each concern is a construct of its own. */
export class TikTokShopAuthStack extends Stack {
  public readonly grantTable: GrantTable;
  public readonly sealingKey: TokenSealingKey;
  public readonly appSecret: AppSecret;
  public readonly eventBus: LifecycleEventBus;

  constructor(scope: Construct, id: string, props: TikTokShopAuthStackProps = {}) {
    super(scope, id, props);
    this.grantTable = new GrantTable(this, 'Grants');
    this.sealingKey = new TokenSealingKey(this, 'TokenSealing');
    this.appSecret = new AppSecret(this, 'AppCredentials', { existingSecretName: props.appSecretName });
    this.eventBus = new LifecycleEventBus(this, 'Events', { eventBusName: props.eventBusName });
  }
}
