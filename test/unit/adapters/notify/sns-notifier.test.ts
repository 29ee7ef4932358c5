import { PublishCommand, type PublishCommandInput } from '@aws-sdk/client-sns';
import { FALLBACK_SUBJECT, SnsNotifier } from '../../../../lambdas/adapters/notify/sns-notifier';

const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:reminders';

/** An SNS client that records what it was asked to publish. */
function recordingSns() {
  const published: PublishCommandInput[] = [];
  return {
    published,
    client: {
      send: async (command: PublishCommand) => {
        if (!(command instanceof PublishCommand)) throw new Error('only Publish is expected');
        published.push(command.input);
        return { MessageId: `m-${published.length}` };
      },
    },
  };
}

/** What SNS asks of a subject: printable ASCII, under 100 characters, a letter, digit or punctuation mark first. */
const isValidSnsSubject = (subject: string | undefined) =>
  subject !== undefined && subject.length < 100 && /^[\x21-\x7E][\x20-\x7E]*$/.test(subject);

describe('SnsNotifier', () => {
  const publish = async (subject: string, message = 'The message.') => {
    const sns = recordingSns();
    await new SnsNotifier(sns.client, TOPIC_ARN).notify(subject, message);
    expect(sns.published).toHaveLength(1);
    const [input] = sns.published;
    return input;
  };

  it('publishes an ASCII subject and the message to the topic as they are', async () => {
    const input = await publish('TikTok Shop authorization ends in 7 days: Acme Store', 'Line one.\nLine two: 店铺 🛍');

    expect(input).toEqual({
      TopicArn: TOPIC_ARN,
      Subject: 'TikTok Shop authorization ends in 7 days: Acme Store',
      Message: 'Line one.\nLine two: 店铺 🛍',
    });
  });

  it.each([
    [
      'a Chinese name',
      'TikTok Shop authorization ends in 7 days: 小米旗舰店',
      'TikTok Shop authorization ends in 7 days: ?',
    ],
    ['emoji in a name', 'Ends in 1 day: 🛍️ Best  Deals 🔥🔥', 'Ends in 1 day: ? Best Deals ?'],
    ['accents', 'Ends in 30 days: Café Zoë', 'Ends in 30 days: Caf? Zo?'],
    ['a line break and a tab', 'Ends in 7 days:\r\n  Acme\tStore\n', 'Ends in 7 days: Acme Store'],
    ['control characters and a leading space', ' \u0000\u001b[31mAlert\u007f', '[31mAlert'],
    ['an ideographic space and a non-breaking one', 'Ends\u3000in\u00a07 days', 'Ends in 7 days'],
  ])('turns a subject with %s into one SNS accepts', async (_, subject, expected) => {
    const input = await publish(subject);

    expect(input?.Subject).toBe(expected);
    expect(isValidSnsSubject(input?.Subject)).toBe(true);
  });

  it('cuts a 150-character subject to 99 characters, marking the cut', async () => {
    const input = await publish(`TikTok Shop authorization ends in 7 days: ${'A'.repeat(108)}`);

    expect(input?.Subject).toHaveLength(99);
    expect(input?.Subject).toBe(`TikTok Shop authorization ends in 7 days: ${'A'.repeat(54)}...`);
    expect(isValidSnsSubject(input?.Subject)).toBe(true);
  });

  it('cuts a long subject in Chinese after turning it to ASCII, not before', async () => {
    const input = await publish(`Ends in 7 days: ${'店'.repeat(200)} and more`);

    expect(input?.Subject).toBe('Ends in 7 days: ? and more');
  });

  it.each([
    ['empty', ''],
    ['only spaces and line breaks', ' \n\t '],
    ['only Chinese', '小米旗舰店'],
    ['only emoji', '🔥🛍️🔥'],
  ])('sends the fixed subject when the given one is %s', async (_, subject) => {
    const input = await publish(subject);

    expect(input?.Subject).toBe(FALLBACK_SUBJECT);
    expect(isValidSnsSubject(input?.Subject)).toBe(true);
  });
});
