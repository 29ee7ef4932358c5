import { createLogger } from '../../../lambdas/shared/logger';
import { REDACTED, redactString } from '../../../lambdas/shared/redact';
import { captureOutput } from '../../support/local-journey';

const SECRETS = {
  accessToken: 'ROW_access_0123456789',
  refreshToken: 'ROW_refresh_0123456789',
  appSecret: 'app_secret_0123456789',
  authCode: 'auth_code_0123456789',
  state: 'state_0123456789abcdef',
  ticket: 'ticket_0123456789abcdef',
};

/** Everything the logger writes to the process's output while `act` runs, as the Lambda runtime would ship it. */
function captureLogs(act: () => void): string {
  const output = captureOutput();
  try {
    act();
  } finally {
    output.restore();
  }
  return output.text();
}

describe('the service logger', () => {
  it('redacts secrets under their names, at any depth and in any spelling', () => {
    const output = captureLogs(() => {
      const logger = createLogger();
      logger.info('tokens', { tokens: { accessToken: SECRETS.accessToken, refresh_token: SECRETS.refreshToken } });
      logger.info('app', { credentials: [{ app_secret: SECRETS.appSecret }], code: SECRETS.authCode });
      logger.warn('one-time values', { state: SECRETS.state, Ticket: SECRETS.ticket });
    });

    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
    expect(output).toContain(REDACTED);
    expect(output).toContain('"message":"tokens"');
  });

  it('redacts secret query parameters inside logged URLs, messages and errors', () => {
    const url = `https://auth.tiktok-shops.com/api/v2/token/get?app_key=k&app_secret=${SECRETS.appSecret}&auth_code=${SECRETS.authCode}&grant_type=authorized_code`;

    const output = captureLogs(() => {
      const logger = createLogger();
      logger.info(`calling ${url}`);
      logger.error('failed', new Error(`request to ${url} failed`));
      logger.info('callback', { path: `/oauth/callback?code=${SECRETS.authCode}&state=${SECRETS.state}` });
    });

    for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
    expect(output).toContain('app_key=k');
    expect(output).toContain('grant_type=authorized_code');
  });

  it('keeps what is not secret: TikTok error codes, ids, expiries', () => {
    const output = captureLogs(() =>
      createLogger().info('refused', { code: 36004005, openId: 'open-1', accessTokenExpiresAt: '2026-03-08' }),
    );

    expect(output).toContain('"code":36004005');
    expect(output).toContain('"openId":"open-1"');
    expect(output).toContain('"accessTokenExpiresAt":"2026-03-08"');
  });
});

describe('redactString', () => {
  it('leaves text without secret parameters alone', () => {
    expect(redactString('/oauth/callback?shop_region=GB')).toBe('/oauth/callback?shop_region=GB');
  });
});
