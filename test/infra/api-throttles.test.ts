import type { Template } from 'aws-cdk-lib/assertions';
import { ServiceApi } from '../../lib/constructs/service-api';
import { stackSettingsFromContext } from '../../lib/context-settings';
import { Stack, synthStack, TEST_SETTINGS, testApp } from './synth';

const stageOf = (template: Template) => {
  const [stage] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage'));
  if (!stage) throw new Error('the stack should have a stage');
  return stage;
};

const limits = (rate: number, burst: number) => ({ ThrottlingRateLimit: rate, ThrottlingBurstLimit: burst });

const INTERNAL_ROUTE_KEYS = [
  'POST /authorization-links',
  'POST /authorizations/exchange',
  'POST /installations/claim',
  'GET /sellers',
  'GET /sellers/{openId}',
  'POST /sellers/{openId}/refresh',
  'DELETE /sellers/{openId}',
  'GET /shops/{shopId}/credentials',
];

const withInternal = (rate: number, burst: number) =>
  Object.fromEntries(INTERNAL_ROUTE_KEYS.map((key) => [key, limits(rate, burst)]));

const settingsFrom = (context: Record<string, string>) =>
  stackSettingsFromContext((key) => ({ ...TEST_SETTINGS, ...context })[key]);

describe('the API’s throttles, per route group', () => {
  describe('by default', () => {
    const { template } = synthStack();
    const stage = stageOf(template);

    it('gives the callback and each internal route a rate and burst of their own', () => {
      expect(stage.Properties.RouteSettings).toEqual({
        'GET /oauth/callback': limits(10, 50),
        ...withInternal(500, 1000),
      });
    });

    it('names only routes that exist, and creates the stage after each of them', () => {
      const routes = template.findResources('AWS::ApiGatewayV2::Route');
      const routeKeys = Object.values(routes).map((route) => route.Properties.RouteKey);

      expect(Object.keys(stage.Properties.RouteSettings).sort()).toEqual(routeKeys.sort());
      expect(stage.DependsOn).toEqual(expect.arrayContaining(Object.keys(routes)));
    });
  });

  describe('from CDK context', () => {
    it('takes every group’s rate and burst', () => {
      const { props } = settingsFrom({
        callbackRateLimit: '2',
        callbackBurstLimit: '5',
        internalRateLimit: '50',
        internalBurstLimit: '100',
      });

      const stage = stageOf(synthStack(props).template);

      expect(stage.Properties.RouteSettings).toEqual({
        'GET /oauth/callback': limits(2, 5),
        ...withInternal(50, 100),
      });
      expect(stage.Properties.DefaultRouteSettings).toEqual(limits(2, 5));
    });

    it('keeps the defaults of what it does not name', () => {
      const { props } = settingsFrom({ internalRateLimit: '3000', internalBurstLimit: '5000' });

      expect(stageOf(synthStack(props).template).Properties.RouteSettings).toEqual({
        'GET /oauth/callback': limits(10, 50),
        ...withInternal(3000, 5000),
      });
    });

    it.each([
      ['not a number', { internalRateLimit: 'lots' }, '-c internalRateLimit: must be a number of requests'],
      ['zero', { callbackRateLimit: '0' }, '-c callbackRateLimit: must be a whole number from 1 to 10,000'],
      ['a fraction', { internalRateLimit: '2.5' }, '-c internalRateLimit: must be a whole number from 1 to 10,000'],
      ['over the account’s limit', { internalBurstLimit: '20000' }, '-c internalBurstLimit: must be a whole number'],
      [
        'a burst under the rate',
        { callbackRateLimit: '20', callbackBurstLimit: '5' },
        "-c callbackBurstLimit: must be at least callbackRateLimit (20), so that a second's requests fit in one burst; got 5",
      ],
      [
        'a rate over the default burst',
        { internalRateLimit: '3000' },
        "-c internalBurstLimit: must be at least internalRateLimit (3000), so that a second's requests fit in one burst; got 1000 (the default)",
      ],
    ])('refuses %s, naming the key', (_, context, message) => {
      expect(() => settingsFrom(context)).toThrow(message);
    });
  });

  it('refuses the same limits when they are given to the construct directly', () => {
    const stack = new Stack(testApp(), 'Direct');

    expect(() => new ServiceApi(stack, 'Http', { internalRateLimit: 2000 })).toThrow(
      'ServiceApi throttles: internalBurstLimit must be at least internalRateLimit (2000)',
    );
  });
});
