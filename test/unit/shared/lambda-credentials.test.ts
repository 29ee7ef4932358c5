import { defaultProvider } from '../../../lambdas/shared/lambda-credentials';

const ROLE_ENV = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

describe("a function's credential chain", () => {
  const saved = Object.fromEntries(ROLE_ENV.map((name) => [name, process.env[name]]));
  afterEach(() => {
    for (const name of ROLE_ENV) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  beforeEach(() => {
    for (const name of ROLE_ENV) delete process.env[name];
  });

  it("reads the role's credentials Lambda puts in the environment", async () => {
    process.env.AWS_ACCESS_KEY_ID = 'ASIAROLEKEY';
    process.env.AWS_SECRET_ACCESS_KEY = 'role-secret';
    process.env.AWS_SESSION_TOKEN = 'role-session';

    await expect(defaultProvider()()).resolves.toMatchObject({
      accessKeyId: 'ASIAROLEKEY',
      secretAccessKey: 'role-secret',
      sessionToken: 'role-session',
    });
  });

  it('fails clearly without them', async () => {
    await expect(defaultProvider()()).rejects.toThrow(/AWS_ACCESS_KEY_ID|credentials/i);
  });
});
