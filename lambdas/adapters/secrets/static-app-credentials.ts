import type { AppKeyAndSecret } from '../../domain/model';
import type { AppCredentials } from '../../ports';

/** Fixed credentials: the local mode's `TIKTOK_APP_KEY` and `TIKTOK_APP_SECRET`. */
export class StaticAppCredentials implements AppCredentials {
  constructor(private readonly credentials: AppKeyAndSecret) {}

  async get(): Promise<AppKeyAndSecret> {
    return this.credentials;
  }

  async reload(): Promise<AppKeyAndSecret> {
    return this.credentials;
  }
}
