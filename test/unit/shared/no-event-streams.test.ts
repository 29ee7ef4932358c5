import { EventStreamSerde, eventStreamSerdeProvider } from '../../../lambdas/shared/no-event-streams';

describe("the bundles' stand-in for the SDK's event streams", () => {
  it('says what happened if an operation ever asks for them', () => {
    expect(() => new EventStreamSerde()).toThrow(/event streams are not bundled/);
    expect(() => eventStreamSerdeProvider()).toThrow(/event streams are not bundled/);
  });
});
